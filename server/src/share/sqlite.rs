//! The default share store: one SQLite file, `shares.sqlite3`, in the data
//! directory.
//!
//! Durability: the database runs in WAL mode with `synchronous=FULL`, so the
//! write-ahead log is fsynced at every commit, and a share is acknowledged
//! only after its commit returns. An acknowledged share survives `kill -9`
//! and power loss.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{NewShare, Share, ShareError, ShareId, ShareStore, StoreFuture};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "shares.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shares (
    id         TEXT PRIMARY KEY NOT NULL,
    yaml       TEXT NOT NULL,
    title      TEXT,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Shares in an embedded SQLite database.
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `data_dir/shares.sqlite3`.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, ShareError> {
        std::fs::create_dir_all(data_dir).map_err(|err| {
            ShareError::Storage(format!("cannot create {}: {err}", data_dir.display()))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let writer = open_connection(&path)?;
        writer
            .execute_batch(SCHEMA)
            .map_err(|err| storage(&path, err))?;
        let reader = open_connection(&path)?;
        Ok(SqliteStore {
            path,
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open_connection(path: &Path) -> Result<Connection, ShareError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|err| storage(path, err))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(|err| storage(path, err))?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .map_err(|err| storage(path, err))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(ShareError::Storage(format!(
            "{}: cannot switch to WAL mode (got {mode})",
            path.display()
        )));
    }
    Ok(connection)
}

fn storage(path: &Path, err: rusqlite::Error) -> ShareError {
    ShareError::Storage(format!("{}: {err}", path.display()))
}

fn lock(connection: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave a half-done transaction
    // behind (SQLite rolls it back), so a poisoned lock is still usable.
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ShareStore for SqliteStore {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn create(&self, share: NewShare) -> StoreFuture<'_, Share> {
        let writer = Arc::clone(&self.writer);
        let path = self.path.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let connection = lock(&writer);
                let created_at = Utc::now();
                // A collision of two 95-bit random ids is practically impossible,
                // but a retry costs nothing.
                for _ in 0..4 {
                    let id = ShareId::new_local()?;
                    let inserted = connection
                        .execute(
                            "INSERT INTO shares (id, yaml, title, created_at) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT(id) DO NOTHING",
                            params![id.as_str(), share.yaml, share.title, created_at.timestamp_millis()],
                        )
                        .map_err(|err| storage(&path, err))?;
                    if inserted == 1 {
                        return Ok(Share { id, yaml: share.yaml, title: share.title, created_at });
                    }
                }
                Err(ShareError::Storage("could not mint an unused id".to_owned()))
            })
            .await
            .map_err(|err| ShareError::Storage(format!("share writer task failed: {err}")))?
        })
    }

    fn get<'a>(&'a self, id: &'a ShareId) -> StoreFuture<'a, Option<Share>> {
        let reader = Arc::clone(&self.reader);
        let path = self.path.clone();
        let id = id.clone();
        Box::pin(async move {
            let ShareId::Local(key) = &id else {
                return Ok(None);
            };
            let key = key.clone();
            tokio::task::spawn_blocking(move || {
                let connection = lock(&reader);
                let row = connection
                    .query_row(
                        "SELECT yaml, title, created_at FROM shares WHERE id = ?1",
                        params![key],
                        |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, Option<String>>(1)?,
                                row.get::<_, i64>(2)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(|err| storage(&path, err))?;
                Ok(row.map(|(yaml, title, millis)| Share {
                    id,
                    yaml,
                    title,
                    created_at: DateTime::from_timestamp_millis(millis).unwrap_or_default(),
                }))
            })
            .await
            .map_err(|err| ShareError::Storage(format!("share reader task failed: {err}")))?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let share = store
            .create(NewShare {
                yaml: "kind: NetworkPolicy\n".into(),
                title: Some("t".into()),
            })
            .await
            .unwrap();
        assert_eq!(
            store.get(&share.id).await.unwrap().as_ref(),
            Some(&share_with_millis(&share))
        );
        drop(store);
        let reopened = SqliteStore::open(dir.path()).unwrap();
        let read = reopened.get(&share.id).await.unwrap().unwrap();
        assert_eq!(read.yaml, "kind: NetworkPolicy\n");
        assert_eq!(read.title.as_deref(), Some("t"));
        let unknown = ShareId::parse("AAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(reopened.get(&unknown).await.unwrap(), None);
    }

    /// The store keeps millisecond precision.
    fn share_with_millis(share: &Share) -> Share {
        let mut share = share.clone();
        share.created_at =
            DateTime::from_timestamp_millis(share.created_at.timestamp_millis()).unwrap();
        share
    }
}
