//! The flows table's filters and texts, as pure functions over the
//! aggregates and the replay (tested natively, no DOM).

use std::collections::BTreeSet;

use policy_core::flows::{AggregatedFlow, Aggregates, L7Key, Protocol, Replay, Verdict};

/// What the table shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowFilter {
    /// Text searched in the endpoints and the L7 request (any case).
    pub text: String,
    /// Only this observed verdict (Hubble's name), or all when empty.
    pub verdict: String,
    /// Hide reply flows.
    pub hide_replies: bool,
}

impl FlowFilter {
    /// Whether flow `f` of `a` passes.
    pub fn keeps(&self, a: &Aggregates, f: &AggregatedFlow) -> bool {
        if self.hide_replies && f.is_reply {
            return false;
        }
        if !self.verdict.is_empty() && f.verdict.as_str() != self.verdict {
            return false;
        }
        let text = self.text.to_lowercase();
        text.is_empty()
            || a.identity(f.source).display.to_lowercase().contains(&text)
            || a.identity(f.destination)
                .display
                .to_lowercase()
                .contains(&text)
            || l7_text(a.l7(f)).to_lowercase().contains(&text)
    }

    /// Indices of the flows that pass, in order.
    pub fn visible(&self, a: &Aggregates) -> Vec<usize> {
        a.flows
            .iter()
            .enumerate()
            .filter(|(_, f)| self.keeps(a, f))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The flows ticked for generation by default: the requests whose observed
/// verdict the user asked to allow.
pub fn default_ticks(a: &Aggregates, verdicts: &[Verdict]) -> BTreeSet<usize> {
    let opts = policy_core::flows::GenerateOptions {
        verdicts: verdicts.to_vec(),
        ..Default::default()
    };
    a.flows
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_reply && opts.admits(f.verdict))
        .map(|(i, _)| i)
        .collect()
}

/// `HTTP GET /path`, `DNS name`, or nothing.
pub fn l7_text(l7: &L7Key) -> String {
    match l7 {
        L7Key::None => String::new(),
        L7Key::Http { method, path } => format!("HTTP {method} {path}"),
        L7Key::Dns { query } => format!("DNS {query}"),
    }
}

/// `80/TCP`, `ICMP type 8`, or the protocol alone.
pub fn port_text(f: &AggregatedFlow) -> String {
    match (f.port, f.protocol) {
        (Some(t), Protocol::Icmp | Protocol::IcmpV6) => format!("{} type {t}", f.protocol),
        (Some(p), _) => format!("{p}/{}", f.protocol.as_str()),
        (None, _) => f.protocol.as_str().to_string(),
    }
}

/// The impact summary above the table: requests allowed and denied, replies
/// counted apart, rows without a verdict, and rows the latest edit changed.
pub fn impact_summary(now: &Replay, before: &Replay) -> String {
    let changed = now
        .flows
        .iter()
        .zip(&before.flows)
        .filter(|(x, y)| x.allowed != y.allowed)
        .count();
    let s = &now.summary;
    let mut text = format!(
        "Under the workspace's policies: {} allowed, {} denied, {} repl{}",
        s.allowed,
        s.denied,
        s.replies,
        if s.replies == 1 { "y" } else { "ies" }
    );
    if s.not_evaluated > 0 {
        text.push_str(&format!(", {} without a verdict", s.not_evaluated));
    }
    text.push_str(&format!("; {changed} changed by the latest edit."));
    text
}

/// The "Under the workspace" cell: the verdict word and why.
pub fn impact_text(allowed: Option<bool>, is_reply: bool) -> &'static str {
    match (allowed, is_reply) {
        (Some(true), false) => "allowed",
        (Some(false), false) => "denied",
        (Some(true), true) => "reply allowed",
        (Some(false), true) => "reply denied",
        (None, _) => "no verdict",
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use policy_core::flows::{AggregateOptions, ReaderOptions, aggregate_bytes, replay};

    pub(in crate::journeys::flows_panel) const FLOWS: &str = r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":40000,"destination_port":80}},"source":{"namespace":"shop","labels":["k8s:app=web"]},"destination":{"namespace":"shop","labels":["k8s:app=db"]},"is_reply":false}}
{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.2","destination":"10.0.0.1"},"l4":{"TCP":{"source_port":80,"destination_port":40000}},"source":{"namespace":"shop","labels":["k8s:app=db"]},"destination":{"namespace":"shop","labels":["k8s:app=web"]},"is_reply":true}}
{"flow":{"verdict":"DROPPED","IP":{"source":"10.0.0.1","destination":"10.0.0.3"},"l4":{"TCP":{"source_port":40001,"destination_port":443}},"source":{"namespace":"shop","labels":["k8s:app=web"]},"destination":{"namespace":"pay","labels":["k8s:app=api"]},"l7":{"http":{"method":"GET","url":"http://api/charge"}}}}
"#;

    pub(in crate::journeys::flows_panel) fn aggregates() -> Aggregates {
        aggregate_bytes(
            FLOWS.as_bytes(),
            ReaderOptions::default(),
            AggregateOptions::default(),
        )
        .unwrap()
        .0
    }

    #[test]
    fn filters_combine() {
        let a = aggregates();
        assert_eq!(a.flows.len(), 3);
        let all = FlowFilter::default();
        assert_eq!(all.visible(&a).len(), 3);
        let no_replies = FlowFilter {
            hide_replies: true,
            ..FlowFilter::default()
        };
        assert!(no_replies.visible(&a).iter().all(|i| !a.flows[*i].is_reply));
        assert_eq!(no_replies.visible(&a).len(), 2);
        let dropped = FlowFilter {
            verdict: "DROPPED".into(),
            ..FlowFilter::default()
        };
        let v = dropped.visible(&a);
        assert_eq!(v.len(), 1);
        assert_eq!(a.flows[v[0]].verdict, Verdict::Dropped);
        let text = FlowFilter {
            text: "CHARGE".into(),
            ..FlowFilter::default()
        };
        assert_eq!(text.visible(&a), v);
        let pay = FlowFilter {
            text: "pay/".into(),
            ..FlowFilter::default()
        };
        assert_eq!(pay.visible(&a), v);
    }

    #[test]
    fn default_ticks_follow_the_verdicts() {
        let a = aggregates();
        let forwarded = default_ticks(&a, &[Verdict::Forwarded]);
        assert_eq!(forwarded.len(), 1);
        let both = default_ticks(&a, &[Verdict::Forwarded, Verdict::Dropped]);
        assert_eq!(both.len(), 2);
        assert!(both.iter().all(|i| !a.flows[*i].is_reply));
    }

    #[test]
    fn summary_counts_replies_apart() {
        let a = aggregates();
        let now = replay(&a, &[]);
        let text = impact_summary(&now, &now);
        assert_eq!(
            text,
            "Under the workspace's policies: 2 allowed, 0 denied, 1 reply; 0 changed by the latest edit."
        );
        assert_eq!(impact_text(Some(true), true), "reply allowed");
        let mut echo = a.flows[0].clone();
        echo.protocol = Protocol::Icmp;
        echo.port = Some(8);
        assert_eq!(port_text(&echo), "ICMP type 8");
        let request = a.flows.iter().find(|f| !f.is_reply && f.port == Some(80));
        assert_eq!(port_text(request.unwrap()), "80/TCP");
        assert_eq!(impact_text(None, false), "no verdict");
    }
}
