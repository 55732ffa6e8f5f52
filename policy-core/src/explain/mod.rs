//! Plain-language explanations of policies, per policy and per rule.
//!
//! [`explain`]`(&Policy) -> Explanation` gives a short summary (what the
//! selected pods may receive and send, and what is denied) and one sentence
//! per rule, each with the rule's field path so the page can link them.
//!
//! ```
//! use policy_core::explain::explain;
//! use policy_core::yaml::parse_policies;
//! let (ps, _) = parse_policies("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: w, namespace: prod}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80, protocol: TCP}]\n");
//! assert_eq!(
//!     explain(&ps[0]).summary.join(" "),
//!     "Pods labelled app=web in namespace prod accept TCP 80 only from pods labelled app=frontend in the same namespace; all other ingress to them is denied. Their egress is not restricted."
//! );
//! ```

mod cilium;
mod network_policy;
mod phrase;

use serde::{Deserialize, Serialize};

use crate::model::Policy;

/// The explanation of one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// `namespace/name` of the policy.
    pub policy: String,
    /// `NetworkPolicy`, `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`.
    pub kind: String,
    /// Sentences about the whole policy.
    pub summary: Vec<String>,
    /// One entry per rule.
    pub rules: Vec<RuleExplanation>,
}

/// The explanation of one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleExplanation {
    /// Field path of the rule (`spec.ingress[0]`, `specs[1].egressDeny[0]`).
    pub field: String,
    /// What the rule does, as one sentence.
    pub text: String,
}

/// Explains a policy.
pub fn explain(policy: &Policy) -> Explanation {
    let (summary, rules) = match policy {
        Policy::NetworkPolicy(np) => network_policy::explain(np),
        Policy::CiliumNetworkPolicy(cp) => cilium::explain(cp, true),
        Policy::CiliumClusterwideNetworkPolicy(cp) => cilium::explain(cp, false),
    };
    Explanation {
        policy: policy.display_name(),
        kind: policy.kind().as_str().to_string(),
        summary,
        rules,
    }
}

impl Explanation {
    /// The explanation as plain text: a heading, the summary, then one line
    /// per rule.
    pub fn to_text(&self) -> String {
        let mut s = format!("{} {}\n", self.kind, self.policy);
        for line in &self.summary {
            s.push_str("  ");
            s.push_str(line);
            s.push('\n');
        }
        for r in &self.rules {
            s.push_str(&format!("  - {}: {}\n", r.field, r.text));
        }
        s
    }
}
