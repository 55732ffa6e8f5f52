//! Extractors for request bodies and the client address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::http::AppState;
use crate::http::error::ApiError;

/// Content types accepted for a YAML body (compared without parameters).
pub const YAML_CONTENT_TYPES: [&str; 6] = [
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
    "application/json",
];

/// A UTF-8 YAML request body, within the route's body limit.
/// Accepts the types in [`YAML_CONTENT_TYPES`], or no content type at all.
pub struct YamlBody(pub String);

impl FromRequest<AppState> for YamlBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = request.headers().get(header::CONTENT_TYPE) {
            let text = value.to_str().unwrap_or("");
            let essence = text
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !YAML_CONTENT_TYPES.contains(&essence.as_str()) {
                return Err(ApiError::UnsupportedMediaType {
                    got: text.to_owned(),
                    expected: "the YAML as application/yaml or text/plain",
                });
            }
        }
        let limit = state.config().max_body_bytes as u64;
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::from_body_rejection(rejection, limit))?;
        let text = String::from_utf8(bytes.into()).map_err(|err| {
            ApiError::invalid(
                "invalid-utf8",
                format!(
                    "the body is not UTF-8 (byte {})",
                    err.utf8_error().valid_up_to()
                ),
                None,
            )
        })?;
        Ok(YamlBody(text))
    }
}

/// The client's IP address: the TCP peer, or, when the peer is a trusted
/// reverse proxy (`--trusted-proxies`), the address it forwarded (see
/// [`client_ip`]).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        Ok(ClientIp(client_ip(
            peer,
            forwarded,
            &state.config().trusted_proxies,
        )))
    }
}

/// The client behind `peer`. Unless `peer` is a trusted proxy, it is the
/// client and `X-Forwarded-For` (which anyone can write) is ignored.
/// Otherwise the header's addresses (all its lines, in order) are walked
/// from the right, each appended by the hop before it: the first one that
/// is not a trusted proxy is the client. An entry that is not an address
/// stops the walk at the last address vouched for.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    let entries: Vec<&str> = forwarded.flat_map(|line| line.split(',')).collect();
    for entry in entries.iter().rev() {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| crate::config::parse_net(n).unwrap())
            .collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = nets(&["10.0.0.0/8"]);
        for header in [vec![], vec!["198.51.100.9"], vec!["garbage"]] {
            assert_eq!(
                client_ip(ip("203.0.113.5"), header.into_iter(), &trusted),
                ip("203.0.113.5")
            );
        }
        // Nothing is trusted by default.
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["198.51.100.9"].into_iter(), &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_rightmost_untrusted_address() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.7"]);
        let peer = ip("10.1.2.3");
        let cases: [(&[&str], &str); 7] = [
            (&["198.51.100.9"], "198.51.100.9"),
            // A client may write its own header: only the proxies' entries count.
            (&["1.1.1.1, 198.51.100.9"], "198.51.100.9"),
            // Hops through further trusted proxies are skipped.
            (&["198.51.100.9, 192.0.2.7, 10.9.9.9"], "198.51.100.9"),
            // Several header lines are one list, in order.
            (&["1.1.1.1", "198.51.100.9, 10.0.0.1"], "198.51.100.9"),
            (&[" 2001:db8::1 "], "2001:db8::1"),
            // Nothing forwarded: the proxy itself.
            (&[], "10.1.2.3"),
            // Every hop trusted: the leftmost.
            (&["10.0.0.9, 10.0.0.8"], "10.0.0.9"),
        ];
        for (header, expected) in cases {
            assert_eq!(
                client_ip(peer, header.iter().copied(), &trusted),
                ip(expected),
                "{header:?}"
            );
        }
    }

    #[test]
    fn an_unreadable_entry_stops_at_the_last_address_vouched_for() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                ["198.51.100.9, unknown"].into_iter(),
                &trusted
            ),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["junk, 10.0.0.2"].into_iter(), &trusted),
            ip("10.0.0.2")
        );
        // An IPv4-mapped peer is compared as IPv4.
        assert_eq!(
            client_ip(
                ip("::ffff:10.0.0.1"),
                ["198.51.100.9"].into_iter(),
                &trusted
            ),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn trusted_proxies_parse_as_addresses_or_networks() {
        assert_eq!(
            crate::config::parse_net("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert_eq!(
            crate::config::parse_net(" 10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        let err = crate::config::parse_net("10.0.0.0/33").unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }
}
