//! Interactive tutorials: small lessons whose goals are checked by the
//! reachability engine against what the user has written.
//!
//! A [`Tutorial`] has a demo cluster ([`DEMO_CLUSTER_YAML`] plus the external
//! addresses its goals name), a starting workspace and a list of [`Step`]s.
//! Each step's [`Goal`]s are connections with the verdict they must get:
//! `(from, to, port/proto) → allowed or denied`, and for Cilium L7 lessons,
//! words the verdict's L7 condition must contain. [`check_step`] runs the
//! engine on the user's current workspace and says which goals hold, with
//! the engine's explanation of each verdict.
//!
//! ```
//! use policy_core::tutorial::{all, check_step};
//!
//! let t = &all()[0];
//! let start = check_step(t, 0, t.start);
//! assert!(!start.complete);
//! let done = check_step(t, 0, t.steps[0].solution);
//! assert!(done.complete);
//! ```

mod catalog;
mod demo_cluster;

use std::str::FromStr;

use serde::Serialize;

pub use catalog::all;
pub use demo_cluster::DEMO_CLUSTER_YAML;

use crate::cluster::{Cluster, EndpointRef};
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{Engine, PortKey};
use crate::model::Policy;
use crate::posture::read_cluster;
use crate::yaml::parse_policies;

/// One connection and the verdict a step wants for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Goal {
    /// Source, `namespace/pod` or `ip:ADDR`.
    pub from: &'static str,
    /// Destination, `namespace/pod` or `ip:ADDR`.
    pub to: &'static str,
    /// `PORT/PROTO`, such as `8080/TCP` or `53/UDP`.
    pub port: &'static str,
    /// Whether the connection must be allowed (`true`) or denied.
    pub allowed: bool,
    /// Words that must all appear in the allowed verdict's L7 conditions
    /// (for example `HTTP method GET`); empty for L3/L4 goals.
    pub l7: &'static [&'static str],
}

impl Goal {
    /// The goal in words: `shop/web-1 → shop/api-1 on 8080/TCP: allowed`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} → {} on {}: {}",
            self.from,
            self.to,
            self.port,
            if self.allowed { "allowed" } else { "denied" }
        );
        if !self.l7.is_empty() {
            s.push_str(&format!(", only for {}", self.l7.join(" ")));
        }
        s
    }
}

/// One step of a tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Short title.
    pub title: &'static str,
    /// What to do and why, in a few sentences.
    pub text: &'static str,
    /// Hints, from gentle to explicit.
    pub hints: &'static [&'static str],
    /// What must hold for the step to be complete.
    pub goals: &'static [Goal],
    /// A reference workspace (one YAML text per policy) that completes this
    /// step and every step before it.
    pub solution: &'static [&'static str],
}

/// A tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Tutorial {
    /// Stable id, used in `/?policy-tutorial=<id>`.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// One-sentence summary.
    pub summary: &'static str,
    /// The starting workspace: one YAML text per policy (possibly none).
    pub start: &'static [&'static str],
    /// The steps, in order.
    pub steps: &'static [Step],
}

impl Tutorial {
    /// The cluster the tutorial's goals run on: the demo cluster plus every
    /// external address a goal names.
    pub fn cluster(&self) -> Cluster {
        let mut cluster = demo_cluster();
        for step in self.steps {
            for goal in step.goals {
                for end in [goal.from, goal.to] {
                    if let Ok(r @ EndpointRef::Ip(_)) = EndpointRef::from_str(end) {
                        cluster.find_or_add(&r);
                    }
                }
            }
        }
        cluster
    }

    /// The starting workspace, one text per policy.
    pub fn start_documents(&self) -> Vec<String> {
        self.start.iter().map(|s| s.to_string()).collect()
    }
}

/// The tutorial with this id.
pub fn find(id: &str) -> Option<Tutorial> {
    all().into_iter().find(|t| t.id == id)
}

/// The demo cluster as a model.
pub fn demo_cluster() -> Cluster {
    read_cluster(DEMO_CLUSTER_YAML)
        .map(|d| d.cluster)
        .unwrap_or_default()
}

pub use crate::yaml::split_documents;

/// The result for one goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoalResult {
    /// The goal.
    pub goal: Goal,
    /// Whether it holds on the workspace.
    pub met: bool,
    /// The verdict the engine gave (`None` when an endpoint or port is unknown).
    pub allowed: Option<bool>,
    /// The engine's explanation of the verdict, or what went wrong.
    pub explanation: String,
}

/// The result of checking one step against a workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepCheck {
    /// One result per goal, in the step's order.
    pub goals: Vec<GoalResult>,
    /// Whether every goal holds and the YAML has no errors.
    pub complete: bool,
    /// YAML errors in the workspace (the policies that did parse are still checked).
    pub errors: Vec<Diagnostic>,
}

impl StepCheck {
    /// How many goals hold.
    pub fn met_count(&self) -> usize {
        self.goals.iter().filter(|g| g.met).count()
    }
}

/// Reads the policies of every workspace document. Errors are returned
/// alongside whatever could be read.
pub fn workspace_policies<S: AsRef<str>>(docs: &[S]) -> (Vec<Policy>, Vec<Diagnostic>) {
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    for doc in docs {
        let (p, diags) = parse_policies(doc.as_ref());
        policies.extend(p);
        errors.extend(diags.into_iter().filter(|d| d.severity == Severity::Error));
    }
    (policies, errors)
}

/// Checks step `step` of `tutorial` against the workspace's documents.
/// A step index out of range gives an empty, incomplete check.
pub fn check_step<S: AsRef<str>>(tutorial: &Tutorial, step: usize, docs: &[S]) -> StepCheck {
    let Some(step) = tutorial.steps.get(step) else {
        return StepCheck {
            goals: Vec::new(),
            complete: false,
            errors: Vec::new(),
        };
    };
    let (policies, errors) = workspace_policies(docs);
    let cluster = tutorial.cluster();
    let engine = Engine::new(&cluster, &policies);
    let goals: Vec<GoalResult> = step.goals.iter().map(|g| check_goal(&engine, g)).collect();
    let complete = errors.is_empty() && goals.iter().all(|g| g.met);
    StepCheck {
        goals,
        complete,
        errors,
    }
}

/// How far a workspace gets through a tutorial: the number of leading steps
/// that are complete.
pub fn progress<S: AsRef<str>>(tutorial: &Tutorial, docs: &[S]) -> usize {
    (0..tutorial.steps.len())
        .take_while(|&i| check_step(tutorial, i, docs).complete)
        .count()
}

fn check_goal(engine: &Engine, goal: &Goal) -> GoalResult {
    let fail = |why: String| GoalResult {
        goal: *goal,
        met: false,
        allowed: None,
        explanation: why,
    };
    let cluster = engine.cluster();
    let find = |s: &str| -> Result<_, String> {
        let r = EndpointRef::from_str(s).map_err(|e| e.to_string())?;
        cluster
            .find(&r)
            .ok_or_else(|| format!("{s} is not in the tutorial's cluster"))
    };
    let (from, to) = match (find(goal.from), find(goal.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let port = match PortKey::from_str(goal.port) {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    let verdict = engine.verdict(from, to, port);
    let conditions = verdict.conditions();
    let l7_ok = goal
        .l7
        .iter()
        .all(|word| conditions.iter().any(|c| c.contains(word)));
    let met = verdict.allowed == goal.allowed && (!goal.allowed || l7_ok);
    let mut explanation = verdict.explain();
    if verdict.allowed && goal.allowed && !l7_ok {
        explanation.push_str(&format!(
            " The goal also needs an L7 rule with: {}.",
            goal.l7.join(", ")
        ));
    }
    GoalResult {
        goal: *goal,
        met,
        allowed: Some(verdict.allowed),
        explanation,
    }
}

#[cfg(test)]
mod tests;
