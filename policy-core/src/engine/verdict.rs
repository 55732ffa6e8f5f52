//! The verdict for one connection, with the reasons behind it, as plain
//! serializable data, and its plain-language explanation.

use serde::{Deserialize, Serialize};

use super::port::PortKey;
use crate::model::PolicyKind;

/// Which side of a connection a policy rule governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic leaving the source.
    Egress,
    /// Traffic arriving at the destination.
    Ingress,
}

impl Direction {
    /// `egress` or `ingress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        }
    }
}

/// A policy, by kind and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Its kind.
    pub kind: PolicyKind,
    /// `namespace/name`, or `name` for clusterwide policies.
    pub name: String,
    /// Index of the policy in the list given to the engine.
    pub index: usize,
}

impl PolicyRef {
    /// `NetworkPolicy x/allow-a`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.as_str(), self.name)
    }
}

/// A rule that matched the connection (allowing or denying it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// The policy.
    pub policy: PolicyRef,
    /// Field path of the rule, such as `spec.ingress[0]` or `specs[1].egressDeny[0]`.
    pub rule: String,
    /// Index of the rule in its list.
    pub rule_index: usize,
    /// Index of the peer that matched (`from[i]`/`to[i]`, or the position in
    /// Cilium's peer lists), or `None` when the rule names no peer (all peers).
    pub peer_index: Option<usize>,
    /// The peer that matched, in words.
    pub peer: String,
    /// The port clause that matched, in words.
    pub port: String,
    /// Conditions the verdict depends on beyond L3/L4 (L7 rules, DNS-based
    /// peers, ipBlock matching a pod IP).
    pub conditions: Vec<String>,
}

impl RuleMatch {
    /// `NetworkPolicy x/p spec.ingress[0] (peer from[1]: ..., port 80/TCP)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} {}: peer {}, {}",
            self.policy.describe(),
            self.rule,
            self.peer,
            self.port
        );
        for c in &self.conditions {
            s.push_str("; ");
            s.push_str(c);
        }
        s
    }
}

/// The verdict on one side (egress at the source, or ingress at the destination).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideVerdict {
    /// Which side.
    pub direction: Direction,
    /// The endpoint whose policies apply (the source for egress).
    pub endpoint: String,
    /// Whether policies can apply at all (`false` for addresses outside the
    /// cluster and host-network pods).
    pub policed: bool,
    /// Whether the endpoint is isolated (default deny) in this direction.
    pub isolated: bool,
    /// Policies that isolate it.
    pub isolated_by: Vec<PolicyRef>,
    /// Rules that allow the connection.
    pub allowed_by: Vec<RuleMatch>,
    /// Cilium deny rules that deny it (deny wins over any allow).
    pub denied_by: Vec<RuleMatch>,
    /// Whether this side lets the connection through.
    pub allowed: bool,
    /// Further remarks (unmodelled fields, near misses).
    pub notes: Vec<String>,
}

impl SideVerdict {
    /// Reasons, as human-readable strings.
    pub fn reasons(&self) -> Vec<String> {
        let dir = self.direction.as_str();
        let mut out = Vec::new();
        if !self.policed {
            out.push(format!("{dir} of {}: not subject to policy", self.endpoint));
        } else if !self.isolated && self.denied_by.is_empty() {
            out.push(format!(
                "{dir} of {}: not isolated (no policy selects it for {dir})",
                self.endpoint
            ));
        } else if self.isolated {
            let by: Vec<String> = self.isolated_by.iter().map(PolicyRef::describe).collect();
            out.push(format!(
                "{dir} of {}: isolated by {}",
                self.endpoint,
                by.join(", ")
            ));
        }
        for d in &self.denied_by {
            out.push(format!("{dir} denied by {}", d.describe()));
        }
        for a in &self.allowed_by {
            out.push(format!("{dir} allowed by {}", a.describe()));
        }
        if self.isolated && self.allowed_by.is_empty() {
            out.push(format!("{dir}: no rule allows it"));
        }
        for n in &self.notes {
            out.push(format!("{dir}: {n}"));
        }
        out
    }
}

/// The verdict for (from, to, port, protocol).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Source, `namespace/pod` or `ip:ADDR`.
    pub from: String,
    /// Destination.
    pub to: String,
    /// Port and protocol.
    pub port: PortKey,
    /// Whether the connection is allowed: egress at the source AND ingress at
    /// the destination.
    pub allowed: bool,
    /// Egress at the source.
    pub egress: SideVerdict,
    /// Ingress at the destination.
    pub ingress: SideVerdict,
}

impl Verdict {
    /// Reasons as human-readable strings, egress first.
    pub fn reasons(&self) -> Vec<String> {
        let mut out = self.egress.reasons();
        out.extend(self.ingress.reasons());
        out
    }

    /// Conditions the allowed connection is subject to (L7 rules, DNS names).
    pub fn conditions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self
            .egress
            .allowed_by
            .iter()
            .chain(&self.ingress.allowed_by)
        {
            for c in &m.conditions {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// One plain-language paragraph: whether the connection goes through and why.
    pub fn explain(&self) -> String {
        let head = format!(
            "{} {} reach {} on {}",
            self.from,
            if self.allowed { "can" } else { "cannot" },
            self.to,
            self.port
        );
        let mut parts = vec![side_sentence(&self.egress), side_sentence(&self.ingress)];
        let conditions = self.conditions();
        if self.allowed && !conditions.is_empty() {
            parts.push(format!(
                "The connection is subject to: {}.",
                conditions.join("; ")
            ));
        }
        format!("{head}. {}", parts.join(" "))
    }
}

fn side_sentence(side: &SideVerdict) -> String {
    let dir = side.direction.as_str();
    let who = &side.endpoint;
    if !side.policed {
        let why = side
            .notes
            .first()
            .map(String::as_str)
            .unwrap_or("no policy applies to it");
        return format!("No {dir} policy applies to {who} ({why}).");
    }
    if let Some(deny) = side.denied_by.first() {
        return format!(
            "{} denies it at {dir} of {who} ({}, peer {}, {}); deny rules win over allow rules.",
            deny.policy.describe(),
            deny.rule,
            deny.peer,
            deny.port
        );
    }
    if !side.isolated {
        if let Some(allow) = side.allowed_by.first() {
            return format!(
                "{who} is not isolated for {dir}, so {dir} is allowed (and {} {} would allow it too).",
                allow.policy.describe(),
                allow.rule
            );
        }
        return format!(
            "{who} is not isolated for {dir}: no policy selects it for {dir}, so {dir} is allowed."
        );
    }
    let by: Vec<String> = side.isolated_by.iter().map(PolicyRef::describe).collect();
    match side.allowed_by.first() {
        Some(allow) => format!(
            "{who} is isolated for {dir} by {}, and {} {} allows it (peer {}, {}).",
            by.join(", "),
            allow.policy.describe(),
            allow.rule,
            allow.peer,
            allow.port
        ),
        None => format!(
            "{who} is isolated for {dir} by {}, and none of their {dir} rules allows this peer on this port.",
            by.join(", ")
        ),
    }
}
