//! CIDR parsing, the one place that decides which strings are CIDRs for
//! each policy flavour. The engine, validation, lints and edits all call it.

use std::net::IpAddr;

use ipnet::IpNet;

/// A Kubernetes `ipBlock.cidr` or `except` entry: prefix notation is
/// required (`10.0.0.0/8`, `2001:db8::/32`), as the apiserver's
/// `ValidateCIDR` requires; host bits may be set (they are ignored). A bare
/// address is not a CIDR here.
pub fn parse_ip_block_cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok()
}

/// A Cilium `toCIDR` / `fromCIDR` entry (and the engine's reading of a
/// `toCIDRSet` / `fromCIDRSet` `cidr`): prefix notation, or a bare address,
/// which Cilium reads as a host prefix (`/32`, `/128`).
pub fn parse_cilium_cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavours_differ_only_on_bare_addresses() {
        assert_eq!(
            parse_ip_block_cidr("10.0.0.1/8").map(|n| n.trunc().to_string()),
            Some("10.0.0.0/8".to_string())
        );
        assert_eq!(parse_ip_block_cidr("10.0.0.1"), None);
        assert_eq!(
            parse_cilium_cidr("10.0.0.1").map(|n| n.to_string()),
            Some("10.0.0.1/32".to_string())
        );
        assert_eq!(
            parse_cilium_cidr("2001:db8::1").map(|n| n.to_string()),
            Some("2001:db8::1/128".to_string())
        );
        assert_eq!(parse_cilium_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_ip_block_cidr("not-a-cidr"), None);
    }
}
