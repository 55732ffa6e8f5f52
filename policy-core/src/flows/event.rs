//! One decoded flow, borrowed from the input: what the aggregator consumes.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Hubble's verdict on a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Not set, or `VERDICT_UNKNOWN`, or a value this version does not know.
    Unknown,
    /// Forwarded to its destination.
    Forwarded,
    /// Dropped (by policy or otherwise; see `drop_reason_desc`).
    Dropped,
    /// An error while processing the packet.
    Error,
    /// Would have been dropped, but policy audit mode let it through.
    Audit,
    /// Redirected to a proxy (L7 visibility/policy): forwarded.
    Redirected,
    /// A trace point event.
    Traced,
    /// Service translation.
    Translated,
}

impl Verdict {
    /// Parses Hubble's enum name or number; `None` for unknown values.
    pub fn parse_name(name: &str) -> Option<Verdict> {
        Some(match name {
            "VERDICT_UNKNOWN" => Verdict::Unknown,
            "FORWARDED" => Verdict::Forwarded,
            "DROPPED" => Verdict::Dropped,
            "ERROR" => Verdict::Error,
            "AUDIT" => Verdict::Audit,
            "REDIRECTED" => Verdict::Redirected,
            "TRACED" => Verdict::Traced,
            "TRANSLATED" => Verdict::Translated,
            _ => return None,
        })
    }

    /// Parses Hubble's enum number; `None` for unknown values.
    pub fn from_number(n: i64) -> Option<Verdict> {
        Some(match n {
            0 => Verdict::Unknown,
            1 => Verdict::Forwarded,
            2 => Verdict::Dropped,
            3 => Verdict::Error,
            4 => Verdict::Audit,
            5 => Verdict::Redirected,
            6 => Verdict::Traced,
            7 => Verdict::Translated,
            _ => return None,
        })
    }

    /// Hubble's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Unknown => "VERDICT_UNKNOWN",
            Verdict::Forwarded => "FORWARDED",
            Verdict::Dropped => "DROPPED",
            Verdict::Error => "ERROR",
            Verdict::Audit => "AUDIT",
            Verdict::Redirected => "REDIRECTED",
            Verdict::Traced => "TRACED",
            Verdict::Translated => "TRANSLATED",
        }
    }

    /// Whether the traffic actually went through (or, in audit mode, would
    /// have been dropped but was let through): the flows a least-privilege
    /// policy must keep allowing.
    pub fn is_allowed_traffic(self) -> bool {
        matches!(
            self,
            Verdict::Forwarded | Verdict::Redirected | Verdict::Audit
        )
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where Hubble observed the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Observed entering the destination endpoint.
    Ingress,
    /// Observed leaving the source endpoint.
    Egress,
    /// Not set or unknown.
    Unknown,
}

impl FlowEvent<'_> {
    /// Whether this is a reply: `is_reply` when set; otherwise an L7
    /// response, an ICMP reply type (echo reply, timestamp reply, …), or a
    /// flow from a low port to an ephemeral port (32768 and up, Linux's
    /// range) is taken for one.
    pub fn infer_reply(&self) -> bool {
        if let Some(r) = self.is_reply {
            return r;
        }
        if self.l7_response {
            return true;
        }
        if matches!(self.protocol, Protocol::Icmp | Protocol::IcmpV6) {
            return self
                .port
                .and_then(|t| u8::try_from(t).ok())
                .is_some_and(|t| {
                    crate::engine::IcmpKey {
                        v6: self.protocol == Protocol::IcmpV6,
                        icmp_type: t,
                    }
                    .request_of_reply()
                    .is_some()
                });
        }
        matches!((self.source_port, self.port), (Some(s), Some(d)) if d >= 32768 && s < d && self.protocol.has_ports())
    }
}

impl Direction {
    /// Hubble's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "INGRESS",
            Direction::Egress => "EGRESS",
            Direction::Unknown => "TRAFFIC_DIRECTION_UNKNOWN",
        }
    }
}

/// Layer-4 protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Protocol {
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
    /// ICMP (IPv4); the "port" is the ICMP type.
    #[serde(rename = "ICMP")]
    Icmp,
    /// ICMPv6; the "port" is the ICMP type.
    #[serde(rename = "ICMPv6")]
    IcmpV6,
    /// No L4 information (masked out, or not an IP flow).
    #[serde(rename = "NONE")]
    None,
}

impl Protocol {
    /// The protocol's name as NetworkPolicy / Cilium write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
            Protocol::Icmp => "ICMP",
            Protocol::IcmpV6 => "ICMPv6",
            Protocol::None => "NONE",
        }
    }

    /// Whether the protocol has ports (TCP, UDP, SCTP).
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Sctp)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The L7 part of a flow, borrowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum L7View<'a> {
    /// No L7 information.
    None,
    /// An HTTP request or response.
    Http {
        /// Method (`GET`).
        method: Cow<'a, str>,
        /// Full URL as Hubble prints it.
        url: Cow<'a, str>,
    },
    /// A DNS query or answer.
    Dns {
        /// The queried name, with its trailing dot.
        query: Cow<'a, str>,
        /// Answer addresses (responses only).
        ips: Vec<Cow<'a, str>>,
    },
}

/// A reader's name for a JSON text it has read before (an endpoint object
/// that repeats from line to line): two equal tokens stand for the same
/// text, so a consumer may key what it learnt from a text by its token and
/// skip hashing and comparing the text. Tokens of different readers are
/// never equal; a text may have several tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TextToken(u64);

impl TextToken {
    pub(crate) fn new(value: u64) -> Self {
        TextToken(value)
    }
}

/// One flow from the input, borrowed from the bytes it was read from.
#[derive(Clone, Debug)]
pub struct FlowEvent<'a> {
    /// 1-based line where the record starts.
    pub line: u64,
    /// RFC 3339 timestamp, when present.
    pub time: Option<Cow<'a, str>>,
    /// Observed verdict.
    pub verdict: Verdict,
    /// Observation point.
    pub direction: Direction,
    /// `is_reply` (or the deprecated `reply`); `None` when masked out.
    pub is_reply: Option<bool>,
    /// L4 protocol.
    pub protocol: Protocol,
    /// Destination port (TCP/UDP/SCTP) or ICMP type; `None` when unknown.
    pub port: Option<u16>,
    /// Source port (TCP/UDP/SCTP), when known.
    pub source_port: Option<u16>,
    /// `IP.source`.
    pub source_ip: Option<Cow<'a, str>>,
    /// `IP.destination`.
    pub destination_ip: Option<Cow<'a, str>>,
    /// The source endpoint's JSON text, decoded by the aggregator on first
    /// sight.
    pub source: Option<&'a str>,
    /// The reader's token for `source`'s text, when it has one.
    pub source_token: Option<TextToken>,
    /// The destination endpoint's JSON text.
    pub destination: Option<&'a str>,
    /// The reader's token for `destination`'s text, when it has one.
    pub destination_token: Option<TextToken>,
    /// L7 information.
    pub l7: L7View<'a>,
    /// Whether the L7 record is a response (`l7.type: RESPONSE`).
    pub l7_response: bool,
    /// `destination_names` JSON text (FQDNs the destination IP was resolved
    /// from).
    pub destination_names: Option<&'a str>,
}
