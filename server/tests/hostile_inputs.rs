//! The bad-input catalogue: hostile requests against every endpoint of one
//! real server over loopback. Each row states the status it must get and a
//! fragment of the message that must explain it; after every row the server
//! must still answer `/healthz`. Set `HOSTILE_PRINT=1` to print what each row
//! actually got.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector: {}\n";

const TEN_FLOWS: &str = include_str!("data/hubble/basic-sample-10-flows.json");

/// What a row sends.
enum Send {
    /// An HTTP request through reqwest.
    Http {
        method: &'static str,
        path: String,
        content_type: Option<&'static str>,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Raw bytes on a fresh TCP connection; the answer is read until the
    /// server closes or `wait` passes.
    Raw { bytes: Vec<u8>, wait: Duration },
}

struct Row {
    name: &'static str,
    send: Send,
    /// The status the row must get (0: the server closes the connection
    /// without an answer).
    status: u16,
    /// A fragment the body (or the raw answer) must contain.
    fragment: &'static str,
}

fn http(
    name: &'static str,
    method: &'static str,
    path: impl Into<String>,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    status: u16,
    fragment: &'static str,
) -> Row {
    Row {
        name,
        send: Send::Http {
            method,
            path: path.into(),
            content_type,
            headers: Vec::new(),
            body: body.into(),
        },
        status,
        fragment,
    }
}

fn yaml(name: &'static str, body: impl Into<Vec<u8>>, status: u16, fragment: &'static str) -> Row {
    http(
        name,
        "POST",
        "/api/check",
        Some("application/yaml"),
        body,
        status,
        fragment,
    )
}

fn json(
    name: &'static str,
    path: &'static str,
    body: impl Into<Vec<u8>>,
    status: u16,
    fragment: &'static str,
) -> Row {
    http(
        name,
        "POST",
        path,
        Some("application/json"),
        body,
        status,
        fragment,
    )
}

fn get(name: &'static str, path: impl Into<String>, status: u16, fragment: &'static str) -> Row {
    http(name, "GET", path, None, Vec::new(), status, fragment)
}

fn with_header(mut row: Row, name: &'static str, value: impl Into<String>) -> Row {
    if let Send::Http { headers, .. } = &mut row.send {
        headers.push((name, value.into()));
    }
    row
}

fn raw(
    name: &'static str,
    bytes: impl Into<Vec<u8>>,
    wait_ms: u64,
    status: u16,
    fragment: &'static str,
) -> Row {
    Row {
        name,
        send: Send::Raw {
            bytes: bytes.into(),
            wait: Duration::from_millis(wait_ms),
        },
        status,
        fragment,
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn alias_bomb() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for level in b'b'..=b'j' {
        let name = level as char;
        text.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = name;
    }
    text
}

fn multipart(boundary: &str, parts: &[(&str, &str)], closed: bool) -> Vec<u8> {
    let mut body = String::new();
    for (name, content) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n"
        ));
    }
    if closed {
        body.push_str(&format!("--{boundary}--\r\n"));
    }
    body.into_bytes()
}

fn catalogue() -> Vec<Row> {
    let probe_cluster = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {app: a}}\nspec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\nstatus: {podIP: 10.0.0.1}\n";
    let probe = |extra: &str| {
        format!(
            "{{\"cluster\":{},\"policies\":{}{extra}}}",
            serde_json::to_string(probe_cluster).unwrap(),
            serde_json::to_string(POLICY).unwrap()
        )
    };
    let boundary = "XbOuNdArY";
    vec![
        // ---- YAML bodies (/api/check and friends)
        yaml("alias bomb", alias_bomb(), 400, "alias"),
        yaml(
            "50,000 nested flow sequences",
            "[".repeat(50_000),
            400,
            "recursion limit",
        ),
        yaml(
            "50,000 nested flow mappings",
            "{a: ".repeat(50_000),
            400,
            "recursion limit",
        ),
        yaml(
            "a block mapping 1,000 levels deep",
            (0..1_000)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect::<String>(),
            400,
            "deep",
        ),
        yaml(
            "invalid UTF-8",
            b"kind: \xff\xfe NetworkPolicy\n".to_vec(),
            400,
            "UTF-8",
        ),
        yaml("NUL byte", "kind: Network\0Policy\n", 400, "unprintable"),
        yaml("empty body", "", 200, "diagnostics"),
        yaml("only a comment", "# nothing here\n", 200, "diagnostics"),
        yaml("unterminated quote", "kind: \"NetworkPolicy\n", 400, "yaml"),
        yaml("tab indentation", "metadata:\n\tname: x\n", 400, "tabs"),
        yaml(
            "a giant key (512 KiB)",
            format!("{}: 1\n", "k".repeat(512 * 1024)),
            200,
            "missing-kind",
        ),
        yaml(
            "a giant value (900 KiB)",
            format!("kind: {}\n", "v".repeat(900 * 1024)),
            200,
            "unsupported-kind",
        ),
        yaml(
            "100,000 empty documents",
            "---\n".repeat(100_000),
            200,
            "diagnostics",
        ),
        yaml(
            "100,000 tiny documents",
            "--- 1\n".repeat(100_000),
            200,
            "not-an-object",
        ),
        yaml(
            "body over the 1 MiB limit",
            "#".repeat(2 << 20),
            413,
            "limit",
        ),
        yaml(
            "a port of 99999",
            POLICY.replace(
                "podSelector: {}",
                "podSelector: {}\n  ingress:\n  - ports:\n    - port: 99999",
            ),
            200,
            "99999",
        ),
        yaml(
            "a number of 400 digits",
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: a}}\nspec:\n  podSelector: {{}}\n  x: {}\n",
                "9".repeat(400)
            ),
            200,
            "unknown field",
        ),
        yaml(
            "a byte-order mark then JSON",
            "\u{feff}{\"kind\":\"NetworkPolicy\"}",
            200,
            "apiVersion",
        ),
        yaml(
            "a list of 50,000 empty items",
            format!("kind: List\nitems:\n{}", "- {}\n".repeat(50_000)),
            200,
            "missing-kind",
        ),
        yaml(
            "duplicate keys",
            "kind: NetworkPolicy\nkind: NetworkPolicy\n",
            200,
            "yaml-duplicate-key",
        ),
        yaml(
            "a merge key (<<) of a number",
            "kind: NetworkPolicy\nmetadata:\n  <<: 1\n  name: a\n",
            200,
            "yaml-merge",
        ),
        yaml(
            "a YAML tag bomb",
            "!!binary ".repeat(1000) + "x",
            400,
            "yaml-syntax",
        ),
        http(
            "YAML sent as image/png",
            "POST",
            "/api/check",
            Some("image/png"),
            POLICY,
            415,
            "content type",
        ),
        http(
            "YAML with no content type (read as YAML)",
            "POST",
            "/api/check",
            None,
            POLICY,
            200,
            "diagnostics",
        ),
        with_header(
            http(
                "a gzip body (10 MiB of zeros in 10 KiB)",
                "POST",
                "/api/check",
                Some("application/yaml"),
                gzip(&vec![b'#'; 10 << 20]),
                415,
                "content-encoding",
            ),
            "content-encoding",
            "gzip",
        ),
        http(
            "GET on a POST endpoint",
            "GET",
            "/api/check",
            None,
            Vec::new(),
            405,
            "method not allowed",
        ),
        http(
            "an extension method",
            "PURGE",
            "/api/check",
            None,
            Vec::new(),
            405,
            "method not allowed",
        ),
        // ---- JSON bodies
        json("shares: not JSON", "/api/shares", "{yaml:", 400, "JSON"),
        json(
            "shares: no yaml field",
            "/api/shares",
            "{\"title\":\"x\"}",
            400,
            "missing field `yaml`",
        ),
        json(
            "shares: yaml is a number",
            "/api/shares",
            "{\"yaml\":5}",
            400,
            "expected a string",
        ),
        json(
            "shares: 100k-deep JSON",
            "/api/shares",
            "[".repeat(100_000),
            400,
            "invalid-json",
        ),
        json(
            "shares: over the limit",
            "/api/shares",
            format!("{{\"yaml\":\"{}\"}}", "a".repeat(2 << 20)),
            413,
            "limit",
        ),
        http(
            "shares: sent as text/plain",
            "POST",
            "/api/shares",
            Some("text/plain"),
            "{\"yaml\":\"a\"}",
            415,
            "application/json",
        ),
        json(
            "shares: an alias bomb is stored as text, never expanded",
            "/api/shares",
            serde_json::json!({ "yaml": alias_bomb() }).to_string(),
            201,
            "\"id\"",
        ),
        json("probe: not JSON", "/api/probe", "nope", 400, "JSON"),
        json(
            "probe: a port of 99999",
            "/api/probe",
            probe(",\"ports\":[\"99999/TCP\"]"),
            400,
            "port",
        ),
        json(
            "probe: a protocol of ICMP",
            "/api/probe",
            probe(",\"ports\":[\"80/ICMP\"]"),
            400,
            "ICMP",
        ),
        json(
            "probe: external is not an IP",
            "/api/probe",
            probe(",\"external\":[\"example.com\"]"),
            400,
            "external[0]: invalid IP address",
        ),
        json(
            "probe: an unknown pod",
            "/api/probe",
            probe(",\"from\":\"x/nope\",\"to\":\"x/a\",\"ports\":[\"80/TCP\"]"),
            400,
            "x/nope",
        ),
        json(
            "probe: the cluster is an alias bomb",
            "/api/probe",
            serde_json::json!({ "cluster": alias_bomb(), "policies": POLICY }).to_string(),
            400,
            "alias",
        ),
        json(
            "diff: missing fields",
            "/api/diff",
            "{}",
            400,
            "missing field `cluster`",
        ),
        // ---- Flow uploads
        http(
            "flows: truncated multipart",
            "POST",
            "/api/flows",
            Some("multipart/form-data; boundary=XbOuNdArY"),
            multipart(boundary, &[("a.json", TEN_FLOWS)], false),
            400,
            "incomplete",
        ),
        http(
            "flows: multipart without a boundary",
            "POST",
            "/api/flows",
            Some("multipart/form-data"),
            multipart(boundary, &[("a.json", TEN_FLOWS)], true),
            400,
            "boundary",
        ),
        http(
            "flows: multipart with no parts",
            "POST",
            "/api/generate",
            Some("multipart/form-data; boundary=XbOuNdArY"),
            format!("--{boundary}--\r\n"),
            400,
            "no flow log",
        ),
        http(
            "flows: binary garbage",
            "POST",
            "/api/flows",
            Some("application/x-ndjson"),
            (0..=255u8).cycle().take(64 * 1024).collect::<Vec<u8>>(),
            200,
            "problems",
        ),
        http(
            "flows: one 2 MiB line of digits",
            "POST",
            "/api/flows",
            Some("application/x-ndjson"),
            "1".repeat(2 << 20),
            200,
            "problems",
        ),
        http(
            "flows: 100k-deep JSON",
            "POST",
            "/api/generate",
            Some("application/x-ndjson"),
            "[".repeat(100_000),
            200,
            "",
        ),
        http(
            "replay: a raw body instead of multipart",
            "POST",
            "/api/replay",
            Some("application/x-ndjson"),
            TEN_FLOWS,
            415,
            "`policies` text field",
        ),
        with_header(
            http(
                "flows: a gzip bomb",
                "POST",
                "/api/flows",
                Some("application/x-ndjson"),
                gzip(&vec![b' '; 20 << 20]),
                415,
                "content-encoding",
            ),
            "content-encoding",
            "gzip",
        ),
        // ---- Share ids
        get(
            "share id: ../../etc/passwd",
            "/api/shares/..%2F..%2Fetc%2Fpasswd",
            400,
            "id",
        ),
        get("share id: a NUL byte", "/api/shares/abc%00def", 400, "id"),
        get(
            "share id: 1000 characters",
            format!("/api/shares/{}", "a".repeat(1000)),
            400,
            "id",
        ),
        get("share id: unicode", "/api/shares/%C3%A9t%C3%A9", 400, "id"),
        get(
            "share id: a gist id, GitHub unreachable",
            "/api/shares/0123456789abcdef0123456789abcdef",
            502,
            "github",
        ),
        get(
            "share id: dots (normalised away)",
            "/api/shares/..",
            404,
            "no API endpoint",
        ),
        // ---- Policy URLs
        get(
            "fetch: loopback",
            "/api/fetch?url=http://127.0.0.1:1/",
            403,
            "loopback",
        ),
        get(
            "fetch: localhost by name",
            "/api/fetch?url=http://localhost:1/",
            403,
            "resolves to 127.0.0.1",
        ),
        get(
            "fetch: metadata service",
            "/api/fetch?url=http://169.254.169.254/latest/meta-data/",
            403,
            "link-local",
        ),
        get(
            "fetch: a decimal IP",
            "/api/fetch?url=http://2130706433/",
            403,
            "loopback",
        ),
        get(
            "fetch: a short IP",
            "/api/fetch?url=http://127.1/",
            403,
            "loopback",
        ),
        get(
            "fetch: IPv4-mapped IPv6 loopback",
            "/api/fetch?url=http://[::ffff:127.0.0.1]/",
            403,
            "loopback",
        ),
        get(
            "fetch: a private network",
            "/api/fetch?url=http://10.0.0.1/policy.yaml",
            403,
            "private",
        ),
        get(
            "fetch: file scheme",
            "/api/fetch?url=file:///etc/passwd",
            400,
            "http",
        ),
        get(
            "fetch: gopher scheme",
            "/api/fetch?url=gopher://example.com/",
            400,
            "http",
        ),
        get("fetch: no url", "/api/fetch", 400, "url"),
        get("fetch: not a URL", "/api/fetch?url=%%%", 400, "invalid URL"),
        // ---- Static files and routing
        get(
            "static: path traversal",
            "/assets/..%2F..%2FCargo.toml",
            404,
            "not found",
        ),
        get(
            "static: an unknown API path",
            "/api/nope",
            404,
            "no API endpoint",
        ),
        // ---- Raw protocol abuse
        raw(
            "a header of 1 MiB",
            format!(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(1 << 20)
            ),
            2_000,
            431,
            "",
        ),
        raw(
            "10,000 headers",
            format!(
                "GET /healthz HTTP/1.1\r\nHost: x\r\n{}\r\n",
                "X-A: b\r\n".repeat(10_000)
            ),
            2_000,
            431,
            "",
        ),
        raw(
            "not HTTP at all",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            2_000,
            400,
            "",
        ),
        raw(
            "a request line of 64 KiB",
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(64 * 1024)),
            2_000,
            414,
            "",
        ),
        // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3) and the
        // connection is closed after the answer, so nothing can be smuggled.
        raw(
            "Content-Length and chunked together",
            "POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            2_000,
            200,
            "connection: close",
        ),
        raw(
            "a negative Content-Length",
            "POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: -1\r\n\r\n",
            2_000,
            400,
            "",
        ),
        raw(
            "a Content-Length over the limit, no body sent",
            "POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 99999999999\r\n\r\n",
            2_000,
            413,
            "limit",
        ),
        raw(
            "an unknown Transfer-Encoding",
            "POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nTransfer-Encoding: gzip\r\n\r\n",
            2_000,
            400,
            "",
        ),
    ]
}

async fn send(server: &TestServer, send: &Send) -> (u16, String) {
    match send {
        Send::Http {
            method,
            path,
            content_type,
            headers,
            body,
        } => {
            let mut request = server
                .client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    server.url(path),
                )
                .body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", *content_type);
            }
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    (status, response.text().await.unwrap_or_default())
                }
                Err(err) => (0, format!("{err:#}")),
            }
        }
        Send::Raw { bytes, wait } => {
            let mut stream = TcpStream::connect(server.addr).await.unwrap();
            let _ = stream.write_all(bytes).await;
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(*wait, stream.read_to_end(&mut answer)).await;
            let text = String::from_utf8_lossy(&answer).into_owned();
            let status = text
                .strip_prefix("HTTP/1.1 ")
                .and_then(|rest| rest.get(..3))
                .and_then(|code| code.parse().ok())
                .unwrap_or(0);
            (status, text)
        }
    }
}

async fn still_up(server: &TestServer) {
    let health = server.client.get(server.url("/healthz")).send().await;
    assert!(
        health.is_ok_and(|r| r.status() == 200),
        "the server stopped answering /healthz"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_input_gets_a_clear_answer_and_the_server_stays_up() {
    let server = TestServer::start_with(|config| {
        config.share_burst = 1_000;
    })
    .await;
    let print = std::env::var_os("HOSTILE_PRINT").is_some();
    let rows = catalogue();
    assert!(rows.len() >= 50, "the catalogue has {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let started = Instant::now();
        let (status, body) = send(&server, &row.send).await;
        if print {
            let shown: String = body.chars().take(240).collect();
            eprintln!(
                "{:<45} {status} {:>6.0?} {shown}",
                row.name,
                started.elapsed()
            );
        }
        if status != row.status || !body.to_lowercase().contains(&row.fragment.to_lowercase()) {
            let shown: String = body.chars().take(300).collect();
            failures.push(format!(
                "{}: expected {} with {:?}, got {status}: {shown}",
                row.name, row.status, row.fragment
            ));
        }
        still_up(&server).await;
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.stop().await;
}

/// A client that sends its headers a byte at a time, and one that promises a
/// body and never sends it, are cut off by the server's timeouts, while
/// others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_others_are_served() {
    let server = TestServer::start_with(|config| {
        config.request_timeout = Duration::from_secs(2);
        config.idle_timeout = Duration::from_secs(2);
    })
    .await;
    // Slowloris: a header byte every 100 ms, forever.
    let addr = server.addr;
    let slowloris = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        let _ = stream.write_all(request).await;
        loop {
            if stream.write_all(b"a").await.is_err() {
                break;
            }
            let mut probe = [0u8; 256];
            match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut probe)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => break,
                Err(_) => {}
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("a slowloris client was kept for 30 s");
            }
        }
        started.elapsed()
    });
    // A body promised and never sent.
    let stalled = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        stream
            .write_all(b"POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\nkind: ")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
        (
            started.elapsed(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    });
    // Meanwhile, others are served.
    for _ in 0..20 {
        still_up(&server).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let slow = slowloris.await.unwrap();
    assert!(
        slow < Duration::from_secs(15),
        "slowloris kept for {slow:?}"
    );
    let (stalled_for, answer) = stalled.await.unwrap();
    assert!(
        stalled_for < Duration::from_secs(15),
        "stalled body kept for {stalled_for:?}"
    );
    assert!(
        answer.is_empty()
            || answer.starts_with("HTTP/1.1 408")
            || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    still_up(&server).await;
    server.stop().await;
}
