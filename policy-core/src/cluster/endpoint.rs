//! How endpoints are written: `namespace/pod` or `ip:ADDR`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A reference to an endpoint, as users write it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EndpointRef {
    /// `namespace/pod`.
    Pod {
        /// Namespace name.
        namespace: String,
        /// Pod name.
        name: String,
    },
    /// `ip:ADDR`, an address (outside the cluster, or a pod's IP).
    Ip(IpAddr),
}

/// An endpoint reference that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint `{input}`: {why} (write `namespace/pod` or `ip:ADDR`)")]
pub struct EndpointRefError {
    /// What was given.
    pub input: String,
    /// What is wrong.
    pub why: String,
}

impl FromStr for EndpointRef {
    type Err = EndpointRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| EndpointRefError {
            input: s.to_string(),
            why: why.to_string(),
        };
        if let Some(addr) = s.strip_prefix("ip:") {
            return addr
                .parse()
                .map(EndpointRef::Ip)
                .map_err(|_| err("not an IP address"));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(EndpointRef::Ip(ip));
        }
        match s.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(EndpointRef::Pod {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                })
            }
            _ => Err(err("expected one `/` between namespace and pod name")),
        }
    }
}

impl fmt::Display for EndpointRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointRef::Pod { namespace, name } => write!(f, "{namespace}/{name}"),
            EndpointRef::Ip(ip) => write!(f, "ip:{ip}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in ["x/a", "ip:10.0.0.1", "ip:fd00::1"] {
            assert_eq!(s.parse::<EndpointRef>().unwrap().to_string(), s);
        }
        assert!("x".parse::<EndpointRef>().is_err());
        assert!("ip:nope".parse::<EndpointRef>().is_err());
        assert!("a/b/c".parse::<EndpointRef>().is_err());
    }
}
