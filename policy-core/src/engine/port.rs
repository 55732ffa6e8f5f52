//! Protocols, probed ports, and the port clauses of policy rules.

use crate::cluster::ContainerPort;
pub use crate::model::port::{PortKey, PortKeyError, Protocol};

/// Which protocols a port clause covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ProtoMatch {
    /// One protocol.
    One(Protocol),
    /// Cilium's `ANY` (or no protocol given in a Cilium rule).
    Any,
    /// A protocol the engine does not probe (ICMP, an unknown name).
    Other,
}

impl ProtoMatch {
    pub(crate) fn matches(self, p: Protocol) -> bool {
        match self {
            ProtoMatch::One(q) => p == q,
            ProtoMatch::Any => true,
            ProtoMatch::Other => false,
        }
    }

    fn describe(self) -> String {
        match self {
            ProtoMatch::One(p) => p.as_str().to_string(),
            ProtoMatch::Any => "ANY".to_string(),
            ProtoMatch::Other => "an unprobed protocol".to_string(),
        }
    }
}

/// One port clause of a rule, compiled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PortSpec {
    /// The rule restricts no port.
    All,
    /// Ports `start..=end` of a protocol (a single port when equal).
    Range {
        start: u16,
        end: u16,
        proto: ProtoMatch,
    },
    /// A named container port of the destination pod.
    Named { name: String, proto: ProtoMatch },
    /// Matches no probed connection (such as an ICMP-only rule).
    Nothing,
}

impl PortSpec {
    /// Whether the clause admits `key` to a destination with `dst_ports`
    /// (`None` for a destination that is not a pod: named ports never match it).
    pub(crate) fn matches(&self, key: PortKey, dst_ports: Option<&[ContainerPort]>) -> bool {
        match self {
            PortSpec::All => true,
            PortSpec::Range { start, end, proto } => {
                proto.matches(key.protocol) && (*start..=*end).contains(&key.port)
            }
            PortSpec::Named { name, proto } => {
                proto.matches(key.protocol)
                    && dst_ports.is_some_and(|ports| {
                        ports.iter().any(|cp| {
                            cp.name.as_deref() == Some(name.as_str())
                                && cp.port == key.port
                                && cp.protocol == key.protocol
                        })
                    })
            }
            PortSpec::Nothing => false,
        }
    }

    /// Human-readable form, such as `port 80/TCP`.
    pub(crate) fn describe(&self) -> String {
        match self {
            PortSpec::All => "any port".to_string(),
            PortSpec::Range {
                start: 1,
                end: 65535,
                proto,
            } => format!("any {} port", proto.describe()),
            PortSpec::Range { start, end, proto } if start == end => {
                format!("port {start}/{}", proto.describe())
            }
            PortSpec::Range { start, end, proto } => {
                format!("ports {start}-{end}/{}", proto.describe())
            }
            PortSpec::Named { name, proto } => format!("named port {name}/{}", proto.describe()),
            PortSpec::Nothing => "no probed port".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_port_keys() {
        assert_eq!("80".parse::<PortKey>().unwrap(), PortKey::tcp(80));
        assert_eq!(
            "53/udp".parse::<PortKey>().unwrap(),
            PortKey::new(53, Protocol::Udp)
        );
        assert!("0/TCP".parse::<PortKey>().is_err());
        assert!("80/ICMP".parse::<PortKey>().is_err());
        assert_eq!(PortKey::new(9, Protocol::Sctp).to_string(), "9/SCTP");
    }

    #[test]
    fn named_ports_need_name_number_and_protocol() {
        let ports = vec![ContainerPort {
            name: Some("http".into()),
            port: 8080,
            protocol: Protocol::Tcp,
        }];
        let spec = PortSpec::Named {
            name: "http".into(),
            proto: ProtoMatch::One(Protocol::Tcp),
        };
        assert!(spec.matches(PortKey::tcp(8080), Some(&ports)));
        assert!(!spec.matches(PortKey::tcp(80), Some(&ports)));
        assert!(!spec.matches(PortKey::new(8080, Protocol::Udp), Some(&ports)));
        assert!(!spec.matches(PortKey::tcp(8080), None));
    }
}
