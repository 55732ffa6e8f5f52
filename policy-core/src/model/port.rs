//! Transport protocols and the (port, protocol) pairs connections are made
//! to: plain values shared by the cluster model, the engine and the adapters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A transport protocol that connections are probed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Protocol {
    /// TCP (the default when a policy or pod names no protocol).
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// All three, in display order.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Parses `TCP`, `UDP` or `SCTP` (any case).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A destination port and protocol: what one probe connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortKey {
    /// Port number.
    pub port: u16,
    /// Protocol.
    pub protocol: Protocol,
}

impl PortKey {
    /// `port`/`protocol`.
    pub fn new(port: u16, protocol: Protocol) -> Self {
        PortKey { port, protocol }
    }

    /// TCP `port`.
    pub fn tcp(port: u16) -> Self {
        PortKey::new(port, Protocol::Tcp)
    }
}

impl fmt::Display for PortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

/// A `PORT/PROTO` string that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid port `{0}`: write PORT or PORT/PROTO, such as 80/TCP, 53/UDP or 9000/SCTP")]
pub struct PortKeyError(pub String);

impl FromStr for PortKey {
    type Err = PortKeyError;

    /// `80`, `80/TCP`, `53/udp`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PortKeyError(s.to_string());
        let (port, proto) = match s.split_once('/') {
            Some((p, proto)) => (p, Protocol::parse(proto).ok_or_else(err)?),
            None => (s, Protocol::Tcp),
        };
        let port: u16 = port.trim().parse().map_err(|_| err())?;
        if port == 0 {
            return Err(err());
        }
        Ok(PortKey {
            port,
            protocol: proto,
        })
    }
}
