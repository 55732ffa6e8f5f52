//! Shares in PostgreSQL (`palisade serve --database-url postgres://…`), so
//! that several replicas behind a load balancer serve the same links.
//!
//! - **Driver and pool**: tokio-postgres with a deadpool pool. A connection
//!   that broke (the database restarted) is dropped when it is next taken
//!   from the pool, and a new one is made, so the server recovers by itself.
//! - **Migrations** ([`MIGRATIONS`]) are versioned and run at start-up in
//!   one transaction that first takes a transaction-scoped advisory lock:
//!   replicas starting together run them one after the other, and the
//!   second finds them applied. A database migrated by a newer Palisade is
//!   refused rather than written with an older schema.
//! - **TLS**: rustls, used when the server offers it (`sslmode=prefer`, the
//!   default) or demanded (`sslmode=require`); the certificate is always
//!   verified, against the system's roots or `--database-ca-file`.
//! - **Durability**: each share is one autocommitted `INSERT` on a session
//!   with `synchronous_commit=on`, so when it is acknowledged its commit
//!   record is flushed to the write-ahead log.
//! - **Availability**: connection failures, the pool's time-outs and
//!   PostgreSQL's "shutting down / cannot connect now" errors become
//!   [`ShareError::Unavailable`] (HTTP 503); [`PostgresStore::check`] backs
//!   `/healthz`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{NewShare, Share, ShareError, ShareId, ShareStore, StoreFuture};

/// Key of the advisory lock held while migrating (`palisade` in ASCII).
pub const MIGRATION_LOCK_KEY: i64 = 0x7061_6c69_7361_6465;

/// Connections in the pool, per replica.
const POOL_SIZE: usize = 16;
/// How long a request waits for a connection (to be made or to free up).
const CONNECTION_WAIT: Duration = Duration::from_secs(5);

/// One schema step. Versions only grow; a released step is never edited.
#[derive(Debug)]
pub struct Migration {
    /// Its number, from 1.
    pub version: i32,
    /// What it does.
    pub description: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// The schema, step by step.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "shares table",
    sql: "CREATE TABLE palisade_shares (
              id         TEXT PRIMARY KEY,
              yaml       TEXT NOT NULL,
              title      TEXT,
              created_at TIMESTAMPTZ NOT NULL
          )",
}];

/// Shares in PostgreSQL.
pub struct PostgresStore {
    pool: Pool,
    /// `host:port/database` (never the password), for messages.
    target: String,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or
    /// the `key=value` form), and runs the migrations. `ca_file` holds the
    /// PEM certificates that sign the server's (default: the system's roots).
    pub async fn connect(url: &str, ca_file: Option<&Path>) -> Result<PostgresStore, ShareError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|err| {
            ShareError::Storage(format!(
                "--database-url is not a PostgreSQL connection URL: {err}"
            ))
        })?;
        config
            .connect_timeout(CONNECTION_WAIT)
            .application_name("palisade")
            .options("-c synchronous_commit=on");
        let target = describe_target(&config);
        let tls = tls_connector(ca_file)?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECTION_WAIT))
            .create_timeout(Some(CONNECTION_WAIT))
            .recycle_timeout(Some(CONNECTION_WAIT))
            .build()
            .map_err(|err| ShareError::Storage(format!("cannot build the pool: {err}")))?;
        let store = PostgresStore { pool, target };
        store.migrate().await?;
        Ok(store)
    }

    /// Where the database is: `host:port/database`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Applies the migrations this database lacks, under the advisory lock.
    async fn migrate(&self) -> Result<(), ShareError> {
        let mut client = self.client().await?;
        let fail = |err| self.error("migrating", err);
        let transaction = client.transaction().await.map_err(fail)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
            .await
            .map_err(fail)?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS palisade_schema_migrations (
                     version     INTEGER PRIMARY KEY,
                     description TEXT NOT NULL,
                     applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await
            .map_err(fail)?;
        let applied: Vec<i32> = transaction
            .query("SELECT version FROM palisade_schema_migrations", &[])
            .await
            .map_err(fail)?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if let Some(newer) = applied.iter().copied().filter(|v| *v > known).max() {
            return Err(ShareError::Storage(format!(
                "{}: the database schema is at version {newer}, newer than this palisade knows ({known}); upgrade palisade",
                self.target
            )));
        }
        for migration in MIGRATIONS {
            if applied.contains(&migration.version) {
                continue;
            }
            transaction
                .batch_execute(migration.sql)
                .await
                .map_err(fail)?;
            transaction
                .execute(
                    "INSERT INTO palisade_schema_migrations (version, description) VALUES ($1, $2)",
                    &[&migration.version, &migration.description],
                )
                .await
                .map_err(fail)?;
            tracing::info!(
                version = migration.version,
                description = migration.description,
                "share database migrated"
            );
        }
        transaction.commit().await.map_err(fail)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, ShareError> {
        self.pool.get().await.map_err(|err| match err {
            PoolError::Backend(err) => self.error("connecting", err),
            PoolError::Timeout(_) => ShareError::Unavailable(format!(
                "PostgreSQL at {} is unreachable: no connection within {} s",
                self.target,
                CONNECTION_WAIT.as_secs()
            )),
            other => ShareError::Unavailable(format!(
                "PostgreSQL at {} is unreachable: {other}",
                self.target
            )),
        })
    }

    /// Classifies a driver error: the database cannot be reached or is
    /// going away (503), or the statement failed (500).
    fn error(&self, doing: &str, err: tokio_postgres::Error) -> ShareError {
        let unavailable = match err.code() {
            None => true,
            Some(code) => {
                code.code().starts_with("08")
                    || *code == SqlState::ADMIN_SHUTDOWN
                    || *code == SqlState::CRASH_SHUTDOWN
                    || *code == SqlState::CANNOT_CONNECT_NOW
                    || *code == SqlState::TOO_MANY_CONNECTIONS
            }
        };
        let detail = error_text(&err);
        if unavailable {
            ShareError::Unavailable(format!(
                "PostgreSQL at {} is unreachable ({doing}): {detail}",
                self.target
            ))
        } else {
            ShareError::Storage(format!("PostgreSQL at {} ({doing}): {detail}", self.target))
        }
    }

    /// Whether the database answers (`SELECT 1` on a pooled connection).
    pub async fn ping(&self) -> Result<(), ShareError> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(|err| self.error("checking", err))?;
        Ok(())
    }
}

/// The TLS connector: rustls with ring, trusting `ca_file` or the system's roots.
fn tls_connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, ShareError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let shown = path.display();
            let pem = std::fs::read(path)
                .map_err(|err| ShareError::Storage(format!("--database-ca-file {shown}: {err}")))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|err| {
                    ShareError::Storage(format!("--database-ca-file {shown}: {err}"))
                })?;
                roots.add(cert).map_err(|err| {
                    ShareError::Storage(format!("--database-ca-file {shown}: {err}"))
                })?;
            }
            if roots.is_empty() {
                return Err(ShareError::Storage(format!(
                    "--database-ca-file {shown}: no PEM certificate in it"
                )));
            }
        }
        None => {
            // A machine without a certificate store still reaches a
            // PostgreSQL that offers no TLS (`sslmode=prefer`).
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| ShareError::Storage(format!("TLS set-up: {err}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The driver's message with its source (the I/O error is in the source).
fn error_text(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn describe_target(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{database}")
}

/// Millisecond precision, as the API reports times (and as SQLite keeps them).
fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

impl ShareStore for PostgresStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn create(&self, share: NewShare) -> StoreFuture<'_, Share> {
        Box::pin(async move {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(
                    "INSERT INTO palisade_shares (id, yaml, title, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                )
                .await
                .map_err(|err| self.error("storing a share", err))?;
            let created_at = now_millis();
            // A collision of two 95-bit random ids is practically impossible,
            // but a retry costs nothing.
            for _ in 0..4 {
                let id = ShareId::new_local()?;
                let inserted = client
                    .execute(
                        &statement,
                        &[&id.as_str(), &share.yaml, &share.title, &created_at],
                    )
                    .await
                    .map_err(|err| self.error("storing a share", err))?;
                if inserted == 1 {
                    return Ok(Share {
                        id,
                        yaml: share.yaml,
                        title: share.title,
                        created_at,
                    });
                }
            }
            Err(ShareError::Storage(
                "could not mint an unused id".to_owned(),
            ))
        })
    }

    fn get<'a>(&'a self, id: &'a ShareId) -> StoreFuture<'a, Option<Share>> {
        Box::pin(async move {
            let ShareId::Local(key) = id else {
                return Ok(None);
            };
            let client = self.client().await?;
            let statement = client
                .prepare_cached("SELECT yaml, title, created_at FROM palisade_shares WHERE id = $1")
                .await
                .map_err(|err| self.error("reading a share", err))?;
            let row = client
                .query_opt(&statement, &[&key.as_str()])
                .await
                .map_err(|err| self.error("reading a share", err))?;
            Ok(row.map(|row| Share {
                id: id.clone(),
                yaml: row.get(0),
                title: row.get(1),
                created_at: row.get(2),
            }))
        })
    }

    fn check(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.ping())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, i32::try_from(index).unwrap() + 1);
        }
    }

    #[test]
    fn the_target_never_shows_the_password() {
        let config: tokio_postgres::Config = "postgres://palisade:secret@db.internal:6432/shares"
            .parse()
            .unwrap();
        assert_eq!(describe_target(&config), "db.internal:6432/shares");
        let config: tokio_postgres::Config = "host=/run/postgresql user=palisade".parse().unwrap();
        assert_eq!(describe_target(&config), "/run/postgresql:5432/palisade");
    }

    #[tokio::test]
    async fn a_bad_url_says_so() {
        let Err(err) = PostgresStore::connect("mysql://nope", None).await else {
            panic!("a MySQL URL was accepted");
        };
        assert!(
            err.to_string()
                .contains("--database-url is not a PostgreSQL connection URL"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_database_is_unavailable() {
        // Port 1 on loopback: nothing listens there.
        let Err(err) = PostgresStore::connect("postgres://palisade@127.0.0.1:1/shares", None).await
        else {
            panic!("connected to nothing");
        };
        assert!(matches!(err, ShareError::Unavailable(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("127.0.0.1:1/shares is unreachable"),
            "{err}"
        );
    }
}
