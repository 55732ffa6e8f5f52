//! Reading flows from Hubble Relay's Observer API.
//!
//! [`RelayArgs`] are the connection flags, named as in hubble's CLI
//! (`--tls`, `--tls-ca-cert-files`, `--tls-client-cert-file`,
//! `--tls-client-key-file`, `--tls-server-name`). [`FlowWindow`] says which
//! flows to ask for, [`read_flows`] streams them into policy-core's reader
//! and aggregator.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use policy_core::flows::{
    AggregateOptions, Aggregates, Aggregator, FlowReader, ReadError, ReadReport, ReaderOptions,
};
use tokio::time::Instant;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::proto::observer::observer_client::ObserverClient;
use super::proto::observer::{GetFlowsRequest, GetFlowsResponse};

/// Largest gRPC message accepted from Relay (a Flow is a few KB).
const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// How to reach Hubble Relay. The TLS flags follow `hubble observe`'s.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct RelayArgs {
    /// Read flows from Hubble Relay's Observer gRPC API at HOST:PORT
    /// (`hubble-relay.kube-system.svc:80`, or `localhost:4245` after
    /// `cilium hubble port-forward`). `tls://HOST:PORT` turns on `--tls`.
    #[arg(long = "hubble-relay", value_name = "HOST:PORT")]
    pub hubble_relay: Option<String>,
    /// Connect to Relay over TLS.
    #[arg(long)]
    pub tls: bool,
    /// PEM files of the CA certificates that sign Relay's certificate
    /// (default: the system's roots). Implies `--tls`.
    #[arg(long = "tls-ca-cert-files", value_name = "FILE", value_delimiter = ',')]
    pub tls_ca_cert_files: Vec<PathBuf>,
    /// PEM client certificate, for mutual TLS (with `--tls-client-key-file`).
    #[arg(long = "tls-client-cert-file", value_name = "FILE")]
    pub tls_client_cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate.
    #[arg(long = "tls-client-key-file", value_name = "FILE")]
    pub tls_client_key_file: Option<PathBuf>,
    /// Name Relay's certificate must carry (default: HOST).
    #[arg(long = "tls-server-name", value_name = "NAME")]
    pub tls_server_name: Option<String>,
}

/// Reading from Relay failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// `--hubble-relay` is not `HOST:PORT`.
    #[error("--hubble-relay {0:?}: expected HOST:PORT (such as localhost:4245)")]
    BadAddress(String),
    /// A TLS file cannot be read.
    #[error("{flag} {path}: {source}")]
    TlsFile {
        /// The flag naming the file.
        flag: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS flags do not fit together.
    #[error("{0}")]
    TlsOptions(String),
    /// Relay cannot be reached.
    #[error("cannot connect to Hubble Relay at {addr}: {detail}")]
    Connect {
        /// `--hubble-relay`.
        addr: String,
        /// Why, with its causes.
        detail: String,
    },
    /// Relay answered with an error.
    #[error("Hubble Relay at {addr} failed: {status}")]
    Status {
        /// `--hubble-relay`.
        addr: String,
        /// The gRPC status: code and message.
        status: String,
    },
    /// Too many flows could not be read.
    #[error("reading flows from Hubble Relay: {0}")]
    Read(#[from] ReadError),
}

/// A TLS-ready description of where Relay is, resolved from [`RelayArgs`].
#[derive(Clone, Debug)]
pub struct Relay {
    /// HOST:PORT, as given (without `tls://`).
    pub addr: String,
    tls: Option<ClientTlsConfig>,
}

impl RelayArgs {
    /// Whether `--hubble-relay` was given.
    pub fn is_set(&self) -> bool {
        self.hubble_relay.is_some()
    }

    /// Checks the address and reads the TLS files. `Ok(None)` without
    /// `--hubble-relay`.
    pub fn resolve(&self) -> Result<Option<Relay>, RelayError> {
        let Some(given) = self.hubble_relay.as_deref() else {
            return Ok(None);
        };
        let (addr, tls_scheme) = match given.strip_prefix("tls://") {
            Some(rest) => (rest, true),
            None => (given.strip_prefix("http://").unwrap_or(given), false),
        };
        let valid = addr
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid || addr.contains('/') {
            return Err(RelayError::BadAddress(given.to_owned()));
        }
        let tls_wanted = self.tls
            || tls_scheme
            || !self.tls_ca_cert_files.is_empty()
            || self.tls_client_cert_file.is_some()
            || self.tls_server_name.is_some();
        let tls = if tls_wanted {
            Some(self.tls_config()?)
        } else {
            None
        };
        Ok(Some(Relay {
            addr: addr.to_owned(),
            tls,
        }))
    }

    fn tls_config(&self) -> Result<ClientTlsConfig, RelayError> {
        let read = |flag: &'static str, path: &PathBuf| {
            std::fs::read(path).map_err(|source| RelayError::TlsFile {
                flag,
                path: path.display().to_string(),
                source,
            })
        };
        let mut config = ClientTlsConfig::new();
        if self.tls_ca_cert_files.is_empty() {
            config = config.with_native_roots();
        }
        for path in &self.tls_ca_cert_files {
            config =
                config.ca_certificate(Certificate::from_pem(read("--tls-ca-cert-files", path)?));
        }
        match (&self.tls_client_cert_file, &self.tls_client_key_file) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(
                    read("--tls-client-cert-file", cert)?,
                    read("--tls-client-key-file", key)?,
                ));
            }
            (None, None) => {}
            _ => {
                return Err(RelayError::TlsOptions(
                    "--tls-client-cert-file and --tls-client-key-file go together".to_owned(),
                ));
            }
        }
        if let Some(name) = &self.tls_server_name {
            config = config.domain_name(name.clone());
        }
        Ok(config)
    }
}

impl Relay {
    /// Connects (within 10 s) and returns an Observer client.
    pub async fn connect(&self) -> Result<ObserverClient<Channel>, RelayError> {
        let connect_error = |detail: String| RelayError::Connect {
            addr: self.addr.clone(),
            detail,
        };
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", self.addr))
            .map_err(|err| connect_error(error_chain(&err)))?
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            endpoint = endpoint
                .tls_config(tls.clone())
                .map_err(|err| connect_error(error_chain(&err)))?;
        }
        let channel = endpoint
            .connect()
            .await
            .map_err(|err| connect_error(error_chain(&err)))?;
        Ok(ObserverClient::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES))
    }
}

/// An error and its sources, `: `-separated (tonic's transport errors say
/// little at the top).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Which flows to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowWindow {
    /// Flows Relay holds from this long ago up to now (`--since`). Without
    /// it, and without `follow_for`, every flow Relay holds.
    pub since: Option<Duration>,
    /// Keep reading new flows as they happen, for this long.
    pub follow_for: Option<Duration>,
}

impl FlowWindow {
    /// The `GetFlows` request for this window, at `now`.
    ///
    /// It has no filters, not even by namespace: policy-core places some
    /// flows by the addresses it learned from other flows (a `reserved:host`
    /// source whose address is a pod's), so a flow Relay would filter out
    /// by its endpoint's namespace can belong to a namespace's workloads.
    /// Reading everything keeps the aggregates equal to a file's.
    pub fn request(&self, now: SystemTime) -> GetFlowsRequest {
        let since = self.since.map(|ago| {
            let at = now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH);
            let since_epoch = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            pbjson_types::Timestamp {
                seconds: i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX),
                nanos: i32::try_from(since_epoch.subsec_nanos()).unwrap_or(0),
            }
        });
        // `number` and `since` exclude each other; with neither, ask for
        // everything the ring buffers hold (as `hubble observe --all`),
        // unless only new flows are wanted.
        let number = if since.is_none() && self.follow_for.is_none() {
            u64::MAX
        } else {
            0
        };
        GetFlowsRequest {
            number,
            first: false,
            follow: self.follow_for.is_some(),
            blacklist: Vec::new(),
            whitelist: Vec::new(),
            since,
            until: None,
        }
    }
}

/// Parses `30s`, `5m`, `1h30m`, `2h`, `500ms` (as hubble's `--since` takes
/// Go durations).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: write it like 30s, 5m, 1h30m or 500ms");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => value / 1000.0,
            "s" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            "d" => value * 86400.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += Duration::try_from_secs_f64(seconds).map_err(|_| bad())?;
    }
    Ok(total)
}

/// What [`read_flows`] read.
#[derive(Clone, Debug, Default)]
pub struct LiveFlows {
    /// Aggregated flows, as from a file.
    pub aggregates: Aggregates,
    /// The reader's report: every `GetFlowsResponse` is one "line".
    pub report: ReadReport,
    /// Whether reading stopped at the end of `follow_for` (rather than
    /// because Relay ended the stream).
    pub timed_out: bool,
}

/// Streams the window's flows from Relay into policy-core's reader and
/// aggregator. `on_progress(flows_read)` is called after every response (so
/// keep it cheap: store a number, set a spinner's message).
pub async fn read_flows(
    relay: &Relay,
    window: &FlowWindow,
    reader_options: ReaderOptions,
    mut on_progress: impl FnMut(u64) + Send,
) -> Result<LiveFlows, RelayError> {
    let mut client = relay.connect().await?;
    let status_error = |status: tonic::Status| RelayError::Status {
        addr: relay.addr.clone(),
        status: format!("{:?}: {}", status.code(), status.message()),
    };
    let deadline = window.follow_for.map(|d| Instant::now() + d);
    let mut stream = client
        .get_flows(window.request(SystemTime::now()))
        .await
        .map_err(status_error)?
        .into_inner();
    let mut aggregator = Aggregator::new(AggregateOptions::default());
    let mut reader = FlowReader::new(reader_options);
    let mut on_flow = |event: &policy_core::flows::FlowEvent<'_>| aggregator.add(event);
    let mut line = Vec::with_capacity(4096);
    let mut timed_out = false;
    loop {
        let next = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, stream.message()).await {
                Ok(next) => next,
                Err(_) => {
                    timed_out = true;
                    break;
                }
            },
            None => stream.message().await,
        };
        let Some(response) = next.map_err(status_error)? else {
            break;
        };
        write_json_line(&response, &mut line);
        reader.feed(&line, &mut on_flow)?;
        on_progress(reader.report().flows);
    }
    let report = reader.finish(&mut on_flow)?;
    on_progress(report.flows);
    Ok(LiveFlows {
        aggregates: aggregator.finish(),
        report,
        timed_out,
    })
}

/// Writes `response` into `line` as the JSON line `hubble observe -o json`
/// prints for it: proto field names, enum names, RFC 3339 times.
pub fn write_json_line(response: &GetFlowsResponse, line: &mut Vec<u8>) {
    line.clear();
    // Serializing generated message types into a Vec cannot fail.
    serde_json::to_writer(&mut *line, response).unwrap_or_default();
    line.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_go() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        for bad in ["", "5", "m", "5x", "-5m", "5 m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_and_tls_flags() {
        let args = |addr: &str| RelayArgs {
            hubble_relay: Some(addr.to_owned()),
            ..RelayArgs::default()
        };
        let plain = args("localhost:4245").resolve().unwrap().unwrap();
        assert_eq!(plain.addr, "localhost:4245");
        assert!(plain.tls.is_none());
        let tls = args("tls://relay.example:443").resolve().unwrap().unwrap();
        assert_eq!(tls.addr, "relay.example:443");
        assert!(tls.tls.is_some());
        for bad in ["localhost", ":4245", "host:port", "host:99999", "a/b:1"] {
            assert!(
                matches!(args(bad).resolve(), Err(RelayError::BadAddress(_))),
                "{bad}"
            );
        }
        let half_mtls = RelayArgs {
            tls_client_cert_file: Some("/nonexistent.pem".into()),
            ..args("localhost:4245")
        };
        assert!(matches!(
            half_mtls.resolve(),
            Err(RelayError::TlsFile { .. } | RelayError::TlsOptions(_))
        ));
        let missing_ca = RelayArgs {
            tls_ca_cert_files: vec!["/nonexistent/ca.pem".into()],
            ..args("localhost:4245")
        };
        let err = missing_ca.resolve().unwrap_err().to_string();
        assert!(
            err.starts_with("--tls-ca-cert-files /nonexistent/ca.pem:"),
            "{err}"
        );
        assert!(RelayArgs::default().resolve().unwrap().is_none());
    }

    #[test]
    fn window_requests() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let all = FlowWindow::default().request(now);
        assert_eq!(all.number, u64::MAX);
        assert!(!all.follow && all.since.is_none() && all.whitelist.is_empty());
        let recent = FlowWindow {
            since: Some(Duration::from_secs(300)),
            ..FlowWindow::default()
        }
        .request(now);
        assert_eq!(recent.number, 0);
        assert_eq!(recent.since.unwrap().seconds, 1_000_000 - 300);
        assert!(recent.whitelist.is_empty());
        let live = FlowWindow {
            follow_for: Some(Duration::from_secs(30)),
            ..FlowWindow::default()
        }
        .request(now);
        assert!(live.follow);
        assert_eq!(live.number, 0);
    }
}
