//! Lints about a policy among the others it is checked with (one file, or
//! a workspace).

use super::Lints;
use crate::model::Policy;

/// The identity the apiserver gives an object: kind, namespace, name.
pub(super) fn identity(p: &Policy) -> (&'static str, String, String) {
    (
        p.kind().as_str(),
        p.namespace().unwrap_or("").to_owned(),
        p.name().to_owned(),
    )
}

/// PA020: another policy of the same kind with the same namespace and name.
pub(super) fn duplicate_policy(policy: &Policy, l: &mut Lints<'_>) {
    if policy.name().is_empty() {
        return;
    }
    let same = l
        .file
        .identities
        .get(&identity(policy))
        .copied()
        .unwrap_or(0);
    if same < 2 {
        return;
    }
    l.emit(
        "PA020",
        "metadata.name",
        format!(
            "{same} {} are named {}: they are one object to the apiserver, so applying them keeps only the last and the others are lost; give each a unique name",
            plural(policy.kind().as_str()),
            policy.display_name()
        ),
        None,
    );
}

/// `NetworkPolicy` → `NetworkPolicies` (every policy kind ends in `Policy`).
fn plural(kind: &str) -> String {
    match kind.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{kind}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_in_the_plural() {
        assert_eq!(super::plural("NetworkPolicy"), "NetworkPolicies");
        assert_eq!(
            super::plural("CiliumClusterwideNetworkPolicy"),
            "CiliumClusterwideNetworkPolicies"
        );
    }
}
