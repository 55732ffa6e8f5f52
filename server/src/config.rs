//! Configuration of `palisade serve`: command-line flags, each with an
//! environment variable, resolved into a [`ServeConfig`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

/// How log lines are written (to stdout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines with `key=value` fields.
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Flags of `palisade serve`. Every flag can also be set through the
/// environment variable named next to it.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PALISADE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// Log format; the level is set with `RUST_LOG` (default `info`).
    #[arg(long, env = "PALISADE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Directory for the share database (`shares.sqlite3`).
    /// Default: `$XDG_DATA_HOME/palisade`, else `~/.local/share/palisade`.
    #[arg(long, env = "PALISADE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep shares in PostgreSQL instead of SQLite, so that several replicas
    /// serve the same links: `postgres://USER:PASSWORD@HOST:PORT/DATABASE`
    /// (or `host=… user=… dbname=…`). Migrations run at start-up.
    #[arg(long, env = "PALISADE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// PEM CA certificates that sign PostgreSQL's certificate (default: the
    /// system's roots). TLS is used when the server offers it
    /// (`sslmode=prefer`, the default) or demanded with `?sslmode=require`.
    #[arg(long, env = "PALISADE_DATABASE_CA_FILE", value_name = "FILE")]
    pub database_ca_file: Option<PathBuf>,

    /// GitHub token: when set, new shares are stored as secret gists.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true)]
    pub github_token: Option<String>,

    /// Base URL of the GitHub API (for GitHub Enterprise, or a test server).
    #[arg(
        long,
        env = "PALISADE_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub github_api_url: String,

    /// Let `/api/fetch` reach private, loopback and link-local addresses
    /// (for tests and trusted networks only).
    #[arg(long, env = "PALISADE_ALLOW_PRIVATE_FETCH")]
    pub allow_private_fetch: bool,

    /// Hosts `/api/fetch` may reach even at a private address (an internal
    /// Git server), as names or IPs separated by commas
    /// (`git.corp.example,10.1.2.3`). Only these exact hosts: a redirect
    /// elsewhere, or another name for the same address, is checked again.
    #[arg(long, env = "PALISADE_FETCH_TRUSTED_HOSTS", value_delimiter = ',', value_parser = parse_host)]
    pub fetch_trusted_hosts: Vec<String>,

    /// Largest request body for YAML analyses and shares, in bytes.
    #[arg(long, env = "PALISADE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest flow-log upload (`/api/flows`, `/api/generate`, `/api/replay`), in bytes.
    #[arg(long, env = "PALISADE_MAX_UPLOAD_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// Time limit for one API request, in seconds (flow uploads get ten times as long).
    #[arg(long, env = "PALISADE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Largest document `/api/fetch` downloads, in bytes.
    #[arg(long, env = "PALISADE_FETCH_MAX_BYTES", default_value_t = 1024 * 1024)]
    pub fetch_max_bytes: usize,

    /// Time limit for `/api/fetch`, in seconds.
    #[arg(long, env = "PALISADE_FETCH_TIMEOUT_SECS", default_value_t = 5)]
    pub fetch_timeout_secs: u64,

    /// Shares one client IP may create per minute (sustained rate).
    #[arg(long, env = "PALISADE_SHARE_RATE_PER_MINUTE", default_value_t = 30)]
    pub share_rate_per_minute: u32,

    /// Shares one client IP may create in a burst.
    #[arg(long, env = "PALISADE_SHARE_BURST", default_value_t = 10)]
    pub share_burst: u32,

    /// Seconds a connection may stay without traffic before it is closed
    /// (idle keep-alive, and clients that never finish a request).
    #[arg(long, env = "PALISADE_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,

    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "PALISADE_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Reverse proxies whose `X-Forwarded-For` is believed, as IPs or CIDRs
    /// separated by commas (`10.0.0.0/8,192.0.2.7`). The client is then the
    /// rightmost address in the header that is not itself a trusted proxy.
    /// Empty (the default): the TCP peer is the client and the header is
    /// ignored, since any client can write it.
    #[arg(long, env = "PALISADE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,

    /// Hubble Relay for the page's "Read live flows" (`/api/flows/live`).
    #[command(flatten)]
    pub relay: crate::hubble::relay::RelayArgs,
}

/// An IP network (`10.0.0.0/8`) or a single address (`192.0.2.7`).
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR network"))
}

/// A host name or IP address, in the form URLs write it (lowercase, IPv6 in
/// brackets), so that it compares equal to a URL's host.
pub fn parse_host(text: &str) -> Result<String, String> {
    let text = text.trim();
    let refused = || format!("`{text}` is not a host name or IP address");
    if text.is_empty() || text.contains(['/', '@', '?', '#']) {
        return Err(refused());
    }
    let written = match text.parse::<std::net::Ipv6Addr>() {
        Ok(ip) => format!("[{ip}]"),
        Err(_) if text.contains(':') && !text.starts_with('[') => return Err(refused()),
        Err(_) => text.to_owned(),
    };
    url::Host::parse(&written)
        .map(|host| host.to_string())
        .map_err(|_| refused())
}

/// Resolved configuration of the server.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Directory holding `shares.sqlite3`.
    pub data_dir: PathBuf,
    /// PostgreSQL connection URL; `None` keeps shares in SQLite.
    pub database_url: Option<String>,
    /// CA certificates for PostgreSQL's TLS; `None`: the system's roots.
    pub database_ca_file: Option<PathBuf>,
    /// Hubble Relay for live flows; `None` turns `/api/flows/live` off.
    pub hubble_relay: Option<crate::hubble::relay::Relay>,
    /// GitHub token for creating gists; `None` stores shares in SQLite.
    pub github_token: Option<String>,
    /// Base URL of the GitHub API.
    pub github_api_url: String,
    /// Whether `/api/fetch` may reach non-public addresses.
    pub allow_private_fetch: bool,
    /// Hosts `/api/fetch` may reach at private addresses.
    pub fetch_trusted_hosts: Vec<String>,
    /// Body limit for YAML analyses and shares.
    pub max_body_bytes: usize,
    /// Body limit for flow uploads.
    pub max_upload_bytes: u64,
    /// Time limit for one API request.
    pub request_timeout: Duration,
    /// Size limit for `/api/fetch` downloads.
    pub fetch_max_bytes: usize,
    /// Time limit for `/api/fetch`.
    pub fetch_timeout: Duration,
    /// Sustained share-creation rate per client IP, per minute.
    pub share_rate_per_minute: u32,
    /// Share-creation burst per client IP.
    pub share_burst: u32,
    /// Connections without traffic for this long are closed.
    pub idle_timeout: Duration,
    /// Grace period for in-flight requests at shutdown.
    pub shutdown_grace: Duration,
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Vec<IpNet>,
}

/// The configuration cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither `--data-dir`, `XDG_DATA_HOME` nor `HOME` is set.
    #[error(
        "no data directory: pass --data-dir or set PALISADE_DATA_DIR (neither XDG_DATA_HOME nor HOME is set)"
    )]
    NoDataDir,
    /// `--hubble-relay` or its TLS flags are wrong.
    #[error(transparent)]
    Relay(#[from] crate::hubble::relay::RelayError),
}

impl ServeArgs {
    /// Resolves defaults that depend on the environment (the data directory).
    pub fn resolve(self) -> Result<ServeConfig, ConfigError> {
        let data_dir = match self.data_dir {
            Some(dir) => dir,
            None => default_data_dir().ok_or(ConfigError::NoDataDir)?,
        };
        let hubble_relay = self.relay.resolve()?;
        Ok(ServeConfig {
            addr: self.addr,
            data_dir,
            database_url: self.database_url.filter(|url| !url.trim().is_empty()),
            database_ca_file: self.database_ca_file,
            hubble_relay,
            github_token: self.github_token.filter(|token| !token.trim().is_empty()),
            github_api_url: self.github_api_url,
            allow_private_fetch: self.allow_private_fetch,
            fetch_trusted_hosts: self.fetch_trusted_hosts,
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            fetch_max_bytes: self.fetch_max_bytes,
            fetch_timeout: Duration::from_secs(self.fetch_timeout_secs),
            share_rate_per_minute: self.share_rate_per_minute,
            share_burst: self.share_burst,
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            trusted_proxies: self.trusted_proxies,
        })
    }
}

impl ServeConfig {
    /// A configuration with the documented defaults, listening on `addr`
    /// and keeping shares in `data_dir`. Tests start from this.
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        ServeConfig {
            addr,
            data_dir,
            database_url: None,
            database_ca_file: None,
            hubble_relay: None,
            github_token: None,
            github_api_url: "https://api.github.com".to_owned(),
            allow_private_fetch: false,
            fetch_trusted_hosts: Vec::new(),
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 256 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            fetch_max_bytes: 1024 * 1024,
            fetch_timeout: Duration::from_secs(5),
            share_rate_per_minute: 30,
            share_burst: 10,
            idle_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
        }
    }
}

impl ServeConfig {
    /// The limits of `/api/fetch`.
    pub fn fetch_policy(&self) -> crate::fetch::FetchPolicy {
        crate::fetch::FetchPolicy {
            allow_private: self.allow_private_fetch,
            trusted_hosts: self.fetch_trusted_hosts.clone(),
            max_bytes: self.fetch_max_bytes,
            timeout: self.fetch_timeout,
        }
    }
}

/// `$XDG_DATA_HOME/palisade`, else `$HOME/.local/share/palisade`.
fn default_data_dir() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(xdg) = non_empty("XDG_DATA_HOME") {
        return Some(PathBuf::from(xdg).join("palisade"));
    }
    non_empty("HOME").map(|home| PathBuf::from(home).join(".local/share/palisade"))
}

#[cfg(test)]
mod tests {
    use super::parse_host;

    #[test]
    fn hosts_are_written_as_urls_write_them() {
        assert_eq!(
            parse_host(" Git.Corp.Example ").unwrap(),
            "git.corp.example"
        );
        assert_eq!(parse_host("10.1.2.3").unwrap(), "10.1.2.3");
        assert_eq!(parse_host("fd00::1").unwrap(), "[fd00::1]");
        assert_eq!(parse_host("[FD00::1]").unwrap(), "[fd00::1]");
        for bad in ["", "http://x", "x/y", "a:80", "u@h", "a b"] {
            assert!(parse_host(bad).is_err(), "{bad:?}");
        }
    }
}
