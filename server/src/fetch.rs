//! SSRF-safe download of a policy from a URL (`GET /api/fetch?url=`), behind
//! the page's `?policy-url=` parameter.
//!
//! What it enforces:
//! - `http` and `https` only, at most 5 redirects, each one checked again;
//! - every target address must be public: private, loopback, link-local,
//!   CGNAT, multicast, unspecified, documentation and other special ranges
//!   are refused (unless [`FetchPolicy::allow_private`]);
//! - DNS is resolved by our own resolver, which checks the addresses and
//!   hands exactly those to the connector, so a rebinding DNS server cannot
//!   swap in a private address between the check and the connection; IP
//!   literals (which skip the resolver) are checked from the URL;
//! - no proxy from the environment, no cookies;
//! - a size cap (streamed, never over-read), a total time cap and a content
//!   type check (text, YAML, JSON or octet-stream).

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use url::{Host, Url};

/// Most redirects followed.
pub const MAX_REDIRECTS: usize = 5;

/// Content types accepted from the remote server (before any `;` parameter).
pub const ACCEPTED_CONTENT_TYPES: [&str; 5] = [
    "application/yaml",
    "application/x-yaml",
    "application/json",
    "application/octet-stream",
    "text/*",
];

/// Limits of one fetch.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    /// Reach non-public addresses too (tests, trusted networks).
    pub allow_private: bool,
    /// Hosts reachable even at non-public addresses, written as URLs write
    /// them ([`crate::config::parse_host`]).
    pub trusted_hosts: Vec<String>,
    /// Largest body read, in bytes.
    pub max_bytes: usize,
    /// Time for the whole exchange, redirects and body included.
    pub timeout: Duration,
}

impl FetchPolicy {
    /// Whether `host` (as a URL writes it) is one of the trusted hosts.
    fn trusts(&self, host: &str) -> bool {
        !host.is_empty()
            && self
                .trusted_hosts
                .iter()
                .any(|trusted| trusted.eq_ignore_ascii_case(host))
    }
}

/// A downloaded document.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL finally read, after redirects.
    pub url: Url,
    /// The remote content type, if any.
    pub content_type: Option<String>,
    /// The body, as UTF-8 text (a leading BOM removed).
    pub text: String,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not an absolute http(s) URL.
    #[error("{0}")]
    BadUrl(String),
    /// The URL (or a redirect, or its DNS answer) points somewhere we must not go.
    #[error("{0}")]
    Forbidden(String),
    /// The remote server took too long.
    #[error("the remote server did not answer within {0:?}")]
    Timeout(Duration),
    /// The document is larger than the cap.
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    /// The remote content type is not text, YAML or JSON.
    #[error("the remote server sent {0:?}, not YAML, JSON or text")]
    ContentType(String),
    /// The remote server answered with an error status.
    #[error("the remote server answered {0}")]
    Status(u16),
    /// The body is not UTF-8.
    #[error("the document is not UTF-8 text")]
    NotUtf8,
    /// Connection, TLS or protocol failure.
    #[error("cannot fetch the document: {0}")]
    Network(String),
}

/// A refusal raised inside the resolver or the redirect policy, found again
/// in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refusal(String);

/// The HTTP client behind `/api/fetch`.
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl Fetcher {
    /// Builds the client.
    pub fn new(policy: FetchPolicy) -> Result<Fetcher, FetchError> {
        let checks = Arc::new(policy.clone());
        let redirect_checks = Arc::clone(&checks);
        let redirects = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(Refusal(format!("more than {MAX_REDIRECTS} redirects")))
            } else if let Err(FetchError::Forbidden(why) | FetchError::BadUrl(why)) =
                check_url(attempt.url(), &redirect_checks)
            {
                attempt.error(Refusal(format!("redirect refused: {why}")))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver { policy: checks }))
            .redirect(redirects)
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .user_agent(concat!(
                "palisade/",
                env!("CARGO_PKG_VERSION"),
                " (policy-url fetch)"
            ))
            .build()
            .map_err(|err| FetchError::Network(err.to_string()))?;
        Ok(Fetcher { client, policy })
    }

    /// Downloads `url` within the policy's limits.
    pub async fn fetch(&self, url: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(url)
            .map_err(|err| FetchError::BadUrl(format!("invalid URL {url:?}: {err}")))?;
        check_url(&url, &self.policy)?;
        let timeout = self.policy.timeout;
        let mut response = self
            .client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/yaml, text/yaml, application/json;q=0.9, text/plain;q=0.8",
            )
            .send()
            .await
            .map_err(|err| classify(&err, timeout))?;
        if response.status().is_redirection() {
            // reqwest hands back redirects it does not follow: those to other schemes.
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .unwrap_or_default();
            return Err(FetchError::Forbidden(format!(
                "redirect refused: {location:?} is not an http or https URL"
            )));
        }
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        if let Some(content_type) = &content_type
            && !content_type_accepted(content_type)
        {
            return Err(FetchError::ContentType(content_type.clone()));
        }
        let max = self.policy.max_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > max as u64)
        {
            return Err(FetchError::TooLarge(max));
        }
        let final_url = response.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| classify(&err, timeout))?
        {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        let mut text = String::from_utf8(body).map_err(|_| FetchError::NotUtf8)?;
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        Ok(Fetched {
            url: final_url,
            content_type,
            text,
        })
    }
}

/// Sorts a reqwest error into our kinds, finding our own refusals in its chain.
fn classify(err: &reqwest::Error, timeout: Duration) -> FetchError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<Refusal>() {
            return FetchError::Forbidden(refusal.0.clone());
        }
        source = current.source();
    }
    if err.is_timeout() {
        FetchError::Timeout(timeout)
    } else {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(current) = source {
            message.push_str(": ");
            message.push_str(&current.to_string());
            source = current.source();
        }
        FetchError::Network(message)
    }
}

/// Whether a `Content-Type` value is one we read.
pub fn content_type_accepted(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/") || ACCEPTED_CONTENT_TYPES.contains(&essence.as_str())
}

/// Checks the scheme and, for IP literals, the address.
fn check_url(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(FetchError::BadUrl(format!(
            "only http and https URLs can be fetched, not {}:",
            url.scheme()
        )));
    }
    if policy.trusts(url.host_str().unwrap_or_default()) {
        return Ok(());
    }
    let ip = match url.host() {
        None => return Err(FetchError::BadUrl(format!("URL {url} has no host"))),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if !policy.allow_private
        && let Some(why) = forbidden_reason(ip)
    {
        return Err(FetchError::Forbidden(format!(
            "{ip} is {why}; only public addresses can be fetched"
        )));
    }
    Ok(())
}

/// Resolves names with the system resolver and refuses non-public answers.
struct CheckedResolver {
    policy: Arc<FetchPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let allow_private = policy.allow_private || policy.trusts(&host);
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(Refusal(format!("{host} has no address")))
                    as Box<dyn StdError + Send + Sync>);
            }
            if !allow_private {
                for addr in &addrs {
                    if let Some(why) = forbidden_reason(addr.ip()) {
                        return Err(Box::new(Refusal(format!(
                            "{host} resolves to {}, which is {why}; only public addresses can be fetched",
                            addr.ip()
                        )))
                            as Box<dyn StdError + Send + Sync>);
                    }
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Why `ip` is not a public unicast address, or `None` when it is.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => forbidden_v6(ip),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(network)) & mask)
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: [([u8; 4], u32, &str); 16] = [
        ([0, 0, 0, 0], 8, "an unspecified (\"this network\") address"),
        ([10, 0, 0, 0], 8, "a private address"),
        ([100, 64, 0, 0], 10, "a carrier-grade NAT address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([169, 254, 0, 0], 16, "a link-local address"),
        ([172, 16, 0, 0], 12, "a private address"),
        ([192, 0, 0, 0], 24, "an IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([192, 88, 99, 0], 24, "a 6to4 relay address"),
        ([192, 168, 0, 0], 16, "a private address"),
        ([198, 18, 0, 0], 15, "a benchmarking address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([240, 0, 0, 0], 4, "a reserved address"),
        ([255, 255, 255, 255], 32, "the broadcast address"),
    ];
    RANGES
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map(|(_, _, why)| *why)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // Addresses that embed an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let embedded = Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7]));
        return forbidden_v4(embedded).map(|_| "a NAT64 address of a non-public IPv4 address");
    }
    if segments[0] == 0x2002 {
        let embedded = Ipv4Addr::from((u32::from(segments[1]) << 16) | u32::from(segments[2]));
        return forbidden_v4(embedded).map(|_| "a 6to4 address of a non-public IPv4 address");
    }
    let first = segments[0];
    if first & 0xfe00 == 0xfc00 {
        return Some("a unique local (private) address");
    }
    if first & 0xffc0 == 0xfe80 {
        return Some("a link-local address");
    }
    if first & 0xffc0 == 0xfec0 {
        return Some("a site-local address");
    }
    if first & 0xff00 == 0xff00 {
        return Some("a multicast address");
    }
    if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        return Some("a documentation address");
    }
    if segments[0] == 0x2001 && segments[1] == 0 {
        return Some("a Teredo address");
    }
    if segments[..5] == [0, 0, 0, 0, 0] {
        return Some("an IPv4-compatible or reserved address");
    }
    if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] {
        return Some("a discard-only address");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(text: &str) -> bool {
        forbidden_reason(text.parse().unwrap()).is_some()
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.8.8.8",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.5",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(forbidden(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "140.82.112.3",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!forbidden(ip), "{ip} must be allowed");
        }
    }

    #[test]
    fn only_http_urls_with_public_literals_pass() {
        let strict = policy(false, &[]);
        let check = |url: &str| check_url(&Url::parse(url).unwrap(), &strict);
        assert!(matches!(
            check("file:///etc/passwd"),
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            check("gopher://example.com/"),
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            check("http://127.0.0.1:8080/x"),
            Err(FetchError::Forbidden(_))
        ));
        assert!(matches!(
            check("http://[::1]/x"),
            Err(FetchError::Forbidden(_))
        ));
        assert!(
            matches!(check("http://2130706433/"), Err(FetchError::Forbidden(_))),
            "decimal 127.0.0.1"
        );
        assert!(
            matches!(check("http://0x7f.1/"), Err(FetchError::Forbidden(_))),
            "hex 127.0.0.1"
        );
        assert!(check("https://raw.githubusercontent.com/a/b/main/p.yaml").is_ok());
        assert!(
            check_url(
                &Url::parse("http://127.0.0.1/").unwrap(),
                &policy(true, &[])
            )
            .is_ok()
        );
    }

    fn policy(allow_private: bool, trusted_hosts: &[&str]) -> FetchPolicy {
        FetchPolicy {
            allow_private,
            trusted_hosts: trusted_hosts.iter().map(|h| h.to_string()).collect(),
            max_bytes: 1,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn trusted_hosts_pass_and_nothing_else_does() {
        let trusted = policy(false, &["git.corp", "10.1.2.3", "[fd00::1]"]);
        let check = |url: &str| check_url(&Url::parse(url).unwrap(), &trusted);
        assert!(check("http://10.1.2.3:8080/p.yaml").is_ok());
        assert!(check("http://[fd00::1]/p.yaml").is_ok());
        assert!(check("https://GIT.corp/p.yaml").is_ok());
        assert!(matches!(
            check("http://10.1.2.4/"),
            Err(FetchError::Forbidden(_))
        ));
        assert!(matches!(
            check("http://[fd00::2]/"),
            Err(FetchError::Forbidden(_))
        ));
        assert!(matches!(
            check("http://169.254.169.254/"),
            Err(FetchError::Forbidden(_))
        ));
        assert!(trusted.trusts("git.corp") && !trusted.trusts("") && !trusted.trusts("corp"));
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/yaml",
            "text/plain; charset=utf-8",
            "application/x-yaml",
            "application/json",
            "application/octet-stream",
            "TEXT/YAML",
        ] {
            assert!(content_type_accepted(ok), "{ok}");
        }
        for bad in [
            "text",
            "image/png",
            "application/pdf",
            "application/javascript",
        ] {
            assert!(!content_type_accepted(bad), "{bad}");
        }
    }
}
