//! Shares in a real PostgreSQL, started here: a throwaway cluster made with
//! `initdb` and `pg_ctl` in a temporary directory (as the `postgres` user
//! when the tests run as root, since initdb refuses root), listening on a
//! loopback port. `cargo xtask test` installs Debian's `postgresql` when its
//! server binaries are missing.
//!
//! The real `palisade` binary runs against it: two replicas share one
//! database; `kill -9` of a replica during 1,000 concurrent writes loses no
//! acknowledged share; stopping and restarting PostgreSQL gives 503s and
//! then service again, with no restart of the server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A PostgreSQL cluster in a temporary directory, stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// More `postgres` options (`-c ssl=on …`).
    options: String,
}

/// The directory of `initdb`, `pg_ctl` and `postgres`: Debian's newest
/// `/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`.
fn postgres_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let bin = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if bin.join("initdb").is_file() {
            return bin;
        }
    }
    panic!(
        "the PostgreSQL server is not installed (no /usr/lib/postgresql/*/bin/initdb): \
         run `cargo xtask test`, which installs it, or `apt-get install postgresql`"
    );
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl Cluster {
    /// initdb + start, on a free loopback port.
    fn start() -> Cluster {
        let cluster = Cluster::init();
        cluster.pg_ctl_start();
        cluster
    }

    /// initdb, not started.
    fn init() -> Cluster {
        let bin = postgres_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("palisade-pg-")
            .tempdir()
            .unwrap();
        if running_as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres {}", dir.path().display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin,
            dir,
            port,
            options: String::new(),
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ],
        );
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program, as `postgres` when we are root.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", path.display()));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=100 {}",
            self.port,
            self.dir.path().display(),
            self.options
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.dir.path().join("log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    fn pg_ctl_stop(&self, mode: &str) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                mode,
                "-w",
                "stop",
            ],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs SQL with psql and returns its unaligned output.
    fn query(&self, sql: &str) -> String {
        let output = Command::new("psql")
            .args(["-X", "-A", "-t", "-d", &self.url(), "-c", sql])
            .output()
            .expect("psql");
        assert!(
            output.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let _ = command
            .args(["-D"])
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A `palisade serve --database-url` process, killed when dropped.
struct Replica {
    child: Child,
    base: String,
}

impl Replica {
    fn spawn(database_url: &str, data_dir: &Path) -> Replica {
        Replica::spawn_with(database_url, data_dir, &[], Stdio::inherit())
    }

    fn spawn_with(database_url: &str, data_dir: &Path, extra: &[&str], stderr: Stdio) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_palisade"))
            .args(["serve", "--addr", &addr, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("PALISADE_DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .env("PALISADE_SHARE_BURST", "100000")
            .env("PALISADE_SHARE_RATE_PER_MINUTE", "100000")
            .env_remove("GITHUB_TOKEN")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawn palisade");
        Replica {
            child,
            base: format!("http://{addr}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn wait_up(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("palisade exited while starting: {status}");
            }
            if client
                .get(self.url("/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{} did not come up", self.base);
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn create_share(client: &reqwest::Client, replica: &Replica, yaml: &str) -> String {
    let response = client
        .post(replica.url("/api/shares"))
        .json(&json!({"yaml": yaml, "title": "replicated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_one_database() {
    let cluster = Cluster::start();
    let data = tempfile::tempdir().unwrap();
    let client = client();
    // Both start at once on an empty database: the advisory lock makes one
    // migrate while the other waits, then finds the schema there.
    let mut a = Replica::spawn(&cluster.url(), &data.path().join("a"));
    let mut b = Replica::spawn(&cluster.url(), &data.path().join("b"));
    a.wait_up(&client).await;
    b.wait_up(&client).await;
    assert_eq!(
        cluster.query("SELECT version || ':' || description FROM palisade_schema_migrations"),
        "1:shares table"
    );

    let yaml = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n";
    let id = create_share(&client, &a, yaml).await;
    let read: Value = client
        .get(b.url(&format!("/api/shares/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["yaml"], yaml);
    assert_eq!(read["title"], "replicated");
    let health: Value = client
        .get(b.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["share_store"], "postgres");
    assert_eq!(health["database"], "ok");
    let metrics = client
        .get(a.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("palisade_shares_created_total{store=\"postgres\"} 1\n"),
        "{metrics}"
    );

    // Neither replica wrote a SQLite file.
    assert!(!data.path().join("a/shares.sqlite3").exists());
    // A replica started later finds the schema applied and adds nothing.
    drop(b);
    let mut c = Replica::spawn(&cluster.url(), &data.path().join("c"));
    c.wait_up(&client).await;
    assert_eq!(
        cluster.query("SELECT count(*) FROM palisade_schema_migrations"),
        "1"
    );
    let response = client
        .get(c.url(&format!("/api/shares/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_1000_concurrent_writes_loses_no_acknowledged_share() {
    let cluster = Cluster::start();
    let data = tempfile::tempdir().unwrap();
    let client = client();
    let mut writer = Replica::spawn(&cluster.url(), &data.path().join("w"));
    let mut reader = Replica::spawn(&cluster.url(), &data.path().join("r"));
    writer.wait_up(&client).await;
    reader.wait_up(&client).await;

    // 1,000 writes, 64 in flight at a time; the writer is killed with
    // SIGKILL once 300 of them are acknowledged.
    const WRITES: usize = 1000;
    let acknowledged_count = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let client = client.clone();
        let url = writer.url("/api/shares");
        let acknowledged_count = Arc::clone(&acknowledged_count);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failed = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= WRITES {
                    break;
                }
                let yaml = format!("kind: NetworkPolicy\nmetadata:\n  name: write-{n}\n");
                let Ok(response) = client.post(&url).json(&json!({"yaml": yaml})).send().await
                else {
                    failed += 1;
                    continue;
                };
                if response.status() != 201 {
                    failed += 1;
                    continue;
                }
                let Ok(body) = response.json::<Value>().await else {
                    failed += 1;
                    continue;
                };
                acknowledged.push((body["id"].as_str().unwrap().to_owned(), yaml));
                acknowledged_count.fetch_add(1, Ordering::SeqCst);
            }
            (acknowledged, failed)
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged_count.load(Ordering::SeqCst) < 300 {
        assert!(Instant::now() < deadline, "writes too slow");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    writer.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix.
    writer.child.wait().unwrap();
    let mut acknowledged = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (done, lost) = task.await.unwrap();
        acknowledged.extend(done);
        failed += lost;
    }
    eprintln!(
        "{} of {WRITES} writes acknowledged before SIGKILL, {failed} failed",
        acknowledged.len()
    );
    assert_eq!(acknowledged.len() + failed, WRITES);
    assert!(failed > 0, "the kill came after every write finished");

    for (id, yaml) in &acknowledged {
        let response = client
            .get(reader.url(&format!("/api/shares/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "acknowledged share {id} lost");
        let share: Value = response.json().await.unwrap();
        assert_eq!(share["yaml"], yaml.as_str());
    }
    let stored: usize = cluster
        .query("SELECT count(*) FROM palisade_shares")
        .parse()
        .unwrap();
    assert!(stored >= acknowledged.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_down_gives_503_then_service_again_without_restart() {
    let cluster = Cluster::start();
    let data = tempfile::tempdir().unwrap();
    let client = client();
    let mut replica = Replica::spawn(&cluster.url(), data.path());
    replica.wait_up(&client).await;
    let yaml = "kind: NetworkPolicy\nmetadata:\n  name: before\n";
    let before = create_share(&client, &replica, yaml).await;

    cluster.pg_ctl_stop("fast");
    let response = client
        .post(replica.url("/api/shares"))
        .json(&json!({"yaml": "kind: NetworkPolicy\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(
        body["error"]["message"],
        "shares are unavailable: the share database cannot be reached; retry in a moment"
    );
    let response = client
        .get(replica.url(&format!("/api/shares/{before}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let response = client.get(replica.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["status"], "unavailable");
    let database = health["database"].as_str().unwrap();
    assert!(
        database.starts_with(&format!(
            "unreachable: share database: PostgreSQL at 127.0.0.1:{}/postgres is unreachable",
            cluster.port
        )),
        "{database}"
    );
    // Analyses that need no database keep working.
    let response = client
        .post(replica.url("/api/check"))
        .header("content-type", "application/yaml")
        .body("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: x\nspec:\n  podSelector: {}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    cluster.pg_ctl_start();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = client.get(replica.url("/healthz")).send().await.unwrap();
        if response.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery 30 s after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = create_share(
        &client,
        &replica,
        "kind: NetworkPolicy\nmetadata:\n  name: after\n",
    )
    .await;
    for id in [before, after] {
        let response = client
            .get(replica.url(&format!("/api/shares/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert!(
        replica.child.try_wait().unwrap().is_none(),
        "the server restarted"
    );
}

/// A test CA and a certificate for `localhost`/127.0.0.1 it signs, made with
/// openssl in `dir`: (ca.pem, server.pem, server.key).
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=palisade test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    let key = dir.join("server.key");
    if running_as_root() {
        let status = Command::new("chown")
            .args(["postgres:"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let status = Command::new("chmod").arg("600").arg(&key).status().unwrap();
    assert!(status.success());
    (dir.join("ca.pem"), dir.join("server.pem"), key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tls_to_postgresql_is_used_and_verified() {
    let mut cluster = Cluster::init();
    let (ca, cert, key) = make_certificates(cluster.dir.path());
    cluster.options = format!(
        "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
        cert.display(),
        key.display()
    );
    cluster.pg_ctl_start();
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=require",
        cluster.port
    );
    let data = tempfile::tempdir().unwrap();
    let client = client();

    let ca_arg = ca.display().to_string();
    let mut replica = Replica::spawn_with(
        &url,
        &data.path().join("trusting"),
        &["--database-ca-file", &ca_arg],
        Stdio::inherit(),
    );
    replica.wait_up(&client).await;
    let id = create_share(&client, &replica, "kind: NetworkPolicy\n").await;
    let response = client
        .get(replica.url(&format!("/api/shares/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        cluster.query(
            "SELECT bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE application_name = 'palisade'"
        ),
        "t"
    );

    // Without the CA, the system's roots do not vouch for the certificate:
    // the server refuses to start and says why.
    let mut refused = Replica::spawn_with(&url, &data.path().join("refusing"), &[], Stdio::piped());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = refused.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "palisade kept running with an untrusted certificate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(refused.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "PostgreSQL at localhost:{}/postgres is unreachable",
            cluster.port
        )) && stderr.contains("certificate"),
        "{stderr}"
    );
}
