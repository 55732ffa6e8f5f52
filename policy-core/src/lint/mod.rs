//! Lints: policies the apiserver accepts but that probably do not mean what
//! their author meant.
//!
//! Each lint has a stable code (`PA001`…), a short name, and an
//! explanation ([`LINTS`], [`lint_info`]). Where the intent is clear, the
//! diagnostic carries a [`Fix`](crate::diagnostic::Fix): text edits on the
//! source, applied with [`apply_fix`].
//!
//! Entry point: [`lint`]`(policy, source, all_policies, cluster)`, or
//! [`lint_in_file`] with a [`FileContext`] gathered once per file. The
//! `source` (text + [`SourceMap`]) enables fixes and the unknown-field lint
//! (k8s-openapi drops unknown fields, so they are found by comparing the raw
//! tree with the schema). `all_policies` lets a lint see the other policies
//! of the same file (a DNS rule may live in another policy). `cluster`
//! ([`ClusterView`]: Namespaces and Pods, e.g. from `kubectl get
//! namespaces,pods -A -o yaml`) enables the lints that need real labels.

mod cidr;
pub mod cilium;
mod duplicates;
pub mod fix;
pub mod network_policy;
mod policy_set;
pub mod unknown_fields;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::model::cilium::CiliumPolicy;
use crate::model::{Namespace, NetworkPolicy, Pod, Policy, PolicyKind};
use crate::source_map::SourceMap;

pub use cidr::PRIVATE_RANGES;

pub use fix::{FixError, apply_fix};

/// The cluster the lints check against: plain slices of k8s-openapi
/// objects, so any caller (the engine's cluster model, a parsed `kubectl
/// get -o yaml` dump) can lend them.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClusterView<'a> {
    /// Namespaces, with their labels.
    pub namespaces: &'a [Namespace],
    /// Pods, with labels, namespaces, container ports and IPs.
    pub pods: &'a [Pod],
}

impl ClusterView<'_> {
    /// The labels of namespace `name` (empty when unknown; the
    /// `kubernetes.io/metadata.name` label is always present, as the
    /// apiserver sets it).
    pub fn namespace_labels(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let mut labels = self
            .namespaces
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(name))
            .and_then(|n| n.metadata.labels.clone())
            .unwrap_or_default();
        labels.insert(crate::model::NAMESPACE_NAME_LABEL.into(), name.to_string());
        labels
    }
}

/// The text a policy was read from, and where its fields are.
#[derive(Clone, Copy, Debug)]
pub struct LintSource<'a> {
    /// The whole text (offsets in the map are into it).
    pub text: &'a str,
    /// The policy's source map.
    pub map: &'a SourceMap,
}

/// What a lint looks at: the function that runs it, per policy flavour.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check {
    /// Runs on each NetworkPolicy.
    NetworkPolicy(fn(&NetworkPolicy, &mut Lints<'_>)),
    /// Runs on each Cilium policy (`true`: namespaced).
    Cilium(fn(&CiliumPolicy, bool, &mut Lints<'_>)),
    /// Runs on both flavours.
    Both(
        fn(&NetworkPolicy, &mut Lints<'_>),
        fn(&CiliumPolicy, bool, &mut Lints<'_>),
    ),
    /// Runs on any policy, with its source text.
    Source(fn(PolicyKind, &LintSource<'_>, &mut Lints<'_>)),
    /// Runs on any policy, looking at the others it is checked with.
    Policy(fn(&Policy, &mut Lints<'_>)),
}

/// A lint's identity, documentation and implementation.
#[derive(Clone, Copy, Debug)]
pub struct LintInfo {
    /// Stable code, `PA001`…
    pub code: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    /// Severity of its diagnostics.
    pub severity: Severity,
    /// Why it matters and what to do.
    pub explanation: &'static str,
    /// The function that runs it.
    pub(crate) check: Check,
}

/// Every lint.
pub const LINTS: &[LintInfo] = &[
    LintInfo {
        code: "PA001",
        name: "egress-without-dns",
        severity: Severity::Warning,
        explanation: "The policy restricts egress but allows no DNS (port 53/UDP). Pods resolve names through kube-dns, so almost every connection will fail with name-resolution errors. Add an egress rule to kube-dns on port 53 (UDP and TCP).",
        check: Check::Both(
            network_policy::egress_without_dns,
            cilium::egress_without_dns,
        ),
    },
    LintInfo {
        code: "PA002",
        name: "peers-or-not-and",
        severity: Severity::Warning,
        explanation: "A namespaceSelector and a podSelector in separate `from`/`to` entries are ORed: the rule admits every pod of the selected namespaces, plus the selected pods of the policy's own namespace. To admit only the selected pods of the selected namespaces, put both selectors in one entry (no `-` before podSelector).",
        check: Check::NetworkPolicy(network_policy::peers_or_not_and),
    },
    LintInfo {
        code: "PA003",
        name: "peers-and-not-or",
        severity: Severity::Warning,
        explanation: "namespaceSelector and podSelector in one entry are ANDed: only pods matching the podSelector inside the matching namespaces. In the given cluster that combination matches no pod although each selector alone matches something, so the author probably meant two entries (OR).",
        check: Check::NetworkPolicy(network_policy::peers_and_not_or),
    },
    LintInfo {
        code: "PA004",
        name: "pod-selector-own-namespace",
        severity: Severity::Warning,
        explanation: "A podSelector without namespaceSelector only selects pods in the policy's own namespace. The selector looks like it targets pods elsewhere (it names a namespace label, or matches pods only in other namespaces). Add a namespaceSelector in the same entry.",
        check: Check::NetworkPolicy(network_policy::pod_selector_own_namespace),
    },
    LintInfo {
        code: "PA005",
        name: "ipblock-covers-cluster",
        severity: Severity::Warning,
        explanation: "The ipBlock covers private address ranges that pod and service IPs usually come from. Whether ipBlock matches pod-to-pod traffic depends on the network plugin (traffic may be NATed), so such rules behave differently across clusters. Select pods with pod/namespace selectors, and except the cluster ranges from the ipBlock.",
        check: Check::NetworkPolicy(network_policy::ipblock_private_ranges),
    },
    LintInfo {
        code: "PA006",
        name: "empty-rule-allows-all",
        severity: Severity::Warning,
        explanation: "An empty rule (`- {}`) allows all traffic in that direction: from every pod in every namespace and from outside the cluster. To deny everything write `ingress: []` (or leave the list out and keep policyTypes); to allow only pods of this namespace write `from: [{podSelector: {}}]`.",
        check: Check::NetworkPolicy(network_policy::empty_rule_allows_all),
    },
    LintInfo {
        code: "PA007",
        name: "policy-types-missing",
        severity: Severity::Warning,
        explanation: "Without policyTypes, a NetworkPolicy always isolates ingress. A policy with only egress rules therefore also denies all ingress to the selected pods. Add `policyTypes: [Egress]` if only egress should be restricted.",
        check: Check::NetworkPolicy(network_policy::policy_types_missing),
    },
    LintInfo {
        code: "PA008",
        name: "port-without-protocol",
        severity: Severity::Info,
        explanation: "A port without protocol means TCP, which is what most services use, so this is a note rather than a warning. DNS (53) and some other services also use UDP: for those, list UDP explicitly.",
        check: Check::NetworkPolicy(network_policy::port_without_protocol),
    },
    LintInfo {
        code: "PA009",
        name: "duplicate-rule",
        severity: Severity::Warning,
        explanation: "The same rule appears twice in one direction; the copy has no effect. Remove it.",
        check: Check::Both(network_policy::duplicate_rule, cilium::duplicate_rule),
    },
    LintInfo {
        code: "PA010",
        name: "shadowed-rule",
        severity: Severity::Warning,
        explanation: "Another rule in the same direction already allows everything this rule allows (the same or more peers, on the same or more ports), so this rule has no effect. Remove it, or narrow the other rule.",
        check: Check::NetworkPolicy(network_policy::shadowed_rule),
    },
    LintInfo {
        code: "PA011",
        name: "selects-no-pods",
        severity: Severity::Warning,
        explanation: "In the given cluster the policy selects no pod, so it has no effect. Check the labels and the namespace.",
        check: Check::Both(network_policy::selects_no_pods, cilium::selects_no_pods),
    },
    LintInfo {
        code: "PA012",
        name: "named-port-not-found",
        severity: Severity::Warning,
        explanation: "No pod the rule applies to declares a container port with this name, so the rule matches no traffic. Check the port name in the pods' `containers[].ports[].name`.",
        check: Check::NetworkPolicy(network_policy::named_port_not_found),
    },
    LintInfo {
        code: "PA013",
        name: "unknown-field",
        severity: Severity::Error,
        explanation: "The field is not part of the schema. kubectl (strict field validation) rejects it; older clients silently drop it, which changes what the policy means (a misspelt `podSelector` selects every pod). Fix the spelling.",
        check: Check::Source(unknown_fields::unknown_field),
    },
    LintInfo {
        code: "PA014",
        name: "fqdn-without-dns-rule",
        severity: Severity::Warning,
        explanation: "toFQDNs only works when Cilium's DNS proxy sees the lookups: an egress rule to the DNS server with `rules: {dns: [...]}` is needed. Without it, the FQDN rule never matches.",
        check: Check::Cilium(cilium::fqdn_without_dns_rule),
    },
    LintInfo {
        code: "PA015",
        name: "non-canonical-cidr",
        severity: Severity::Warning,
        explanation: "The CIDR has host bits set (10.0.0.1/8); it means the network address (10.0.0.0/8). Write the canonical form so readers are not misled.",
        check: Check::Both(
            network_policy::ipblock_canonical,
            cilium::non_canonical_cidrs,
        ),
    },
    LintInfo {
        code: "PA016",
        name: "namespace-name-label",
        severity: Severity::Warning,
        explanation: "Namespaces do not carry a `name` label unless someone adds it. The apiserver sets `kubernetes.io/metadata.name` on every namespace; select on that.",
        check: Check::NetworkPolicy(network_policy::namespace_name_label),
    },
    LintInfo {
        code: "PA017",
        name: "rules-ignored-by-policy-types",
        severity: Severity::Warning,
        explanation: "When policyTypes is set, only the listed directions are enforced: ingress rules in a policy with `policyTypes: [Egress]` (or egress rules with `[Ingress]`) are ignored. Add the direction to policyTypes, or remove the rules.",
        check: Check::NetworkPolicy(network_policy::rules_ignored_by_policy_types),
    },
    LintInfo {
        code: "PA018",
        name: "cilium-empty-endpoint-selector",
        severity: Severity::Warning,
        explanation: "In a CiliumNetworkPolicy, `fromEndpoints: [{}]` / `toEndpoints: [{}]` select the endpoints of the policy's own namespace only, not the whole cluster. To mean every namespace, match `k8s:io.kubernetes.pod.namespace` with operator Exists (or use a CiliumClusterwideNetworkPolicy, or the `cluster` entity).",
        check: Check::Cilium(cilium::empty_endpoint_selector),
    },
    LintInfo {
        code: "PA019",
        name: "empty-list-does-not-isolate",
        severity: Severity::Warning,
        explanation: "An empty rule list such as `egress: []` looks like a deny-all, but it isolates nothing by itself: without policyTypes the apiserver sets policyTypes to Ingress, plus Egress only when `egress` has at least one rule, so `egress: []` leaves egress unrestricted (and a policyTypes that leaves a direction out ignores that direction's list). List the direction in policyTypes, e.g. `policyTypes: [Ingress, Egress]`, to deny all of it. (`ingress: []` without policyTypes does deny all ingress, because Ingress is always in the default.)",
        check: Check::NetworkPolicy(network_policy::empty_list_does_not_isolate),
    },
    LintInfo {
        code: "PA020",
        name: "duplicate-policy",
        severity: Severity::Warning,
        explanation: "Two policies of the same kind have the same namespace and name. They are one object to the apiserver: applying the file (or the workspace) keeps only the last one, and the other silently disappears. Rename one of them.",
        check: Check::Policy(policy_set::duplicate_policy),
    },
    LintInfo {
        code: "PA021",
        name: "named-port-on-ip-block",
        severity: Severity::Warning,
        explanation: "A named port is resolved on the destination pod's container ports. When every peer of an egress rule is an ipBlock, the destination is usually outside the cluster, where there is no pod to name the port, so the port never matches. Write the port number.",
        check: Check::NetworkPolicy(network_policy::named_port_on_ip_blocks),
    },
    LintInfo {
        code: "PA022",
        name: "cilium-dns-rule-port",
        severity: Severity::Warning,
        explanation: "Cilium accepts DNS rules on any port (its rule validation only requires that a port is given), and redirects every connection on those ports to its DNS proxy. The proxy parses the traffic as DNS, forwards only the queries the `dns` patterns allow and drops anything else, so a non-DNS service on such a port (CoreDNS metrics on 9153, for instance) stops working. Keep DNS rules on port 53 and allow other ports in a separate toPorts entry without `rules`.",
        check: Check::Cilium(cilium::dns_rule_port),
    },
    LintInfo {
        code: "PA023",
        name: "cilium-auth-renamed",
        severity: Severity::Error,
        explanation: "`auth: {type: ...}` on an ingress or egress rule was read only by Cilium builds from before 1.14.0, while mutual authentication was being developed (cilium/cilium#21822). Cilium 1.14.0 renamed it (cilium/cilium#25761) to `authentication: {mode: required}` (or `disabled`); released Cilium since then does not know `auth`, so the apiserver rejects it under strict field validation or drops it, and the rule is enforced without mutual authentication. Rewrite it as `authentication: {mode: ...}`.",
        check: Check::Cilium(cilium::auth_field),
    },
];

/// The documentation of a lint code.
pub fn lint_info(code: &str) -> Option<&'static LintInfo> {
    LINTS.iter().find(|l| l.code == code)
}

/// What the lints need to know about the other policies of the same file
/// (a DNS rule may live in another policy), gathered once per file so that
/// linting a file of N policies is O(N log N), and small enough to key a
/// cache of lint results by.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileContext {
    /// (namespace as written, name) of the NetworkPolicies that allow DNS
    /// egress (PA001), sorted and deduplicated.
    dns_allowed: Vec<(Option<String>, Option<String>)>,
    /// Whether some Cilium rule of the file has a DNS proxy rule (PA014).
    pub(crate) dns_proxy: bool,
    /// How many policies have each identity (kind, namespace, name), for
    /// PA020: the apiserver keeps one object per identity.
    pub(crate) identities: BTreeMap<(&'static str, String, String), usize>,
}

impl FileContext {
    /// Gathers the context of the policies of one file.
    pub fn of<'p>(all: impl IntoIterator<Item = &'p Policy>) -> FileContext {
        let mut ctx = FileContext::default();
        for p in all {
            if !p.name().is_empty() {
                *ctx.identities.entry(policy_set::identity(p)).or_default() += 1;
            }
            ctx.dns_proxy = ctx.dns_proxy || cilium::has_dns_proxy(p);
            if let Policy::NetworkPolicy(np) = p
                && network_policy::allows_dns(np)
            {
                ctx.dns_allowed
                    .push((np.metadata.namespace.clone(), np.metadata.name.clone()));
            }
        }
        ctx.dns_allowed.sort_unstable();
        ctx.dns_allowed.dedup();
        ctx
    }

    /// The context of a file from the contexts of its parts: `of(a ++ b)`
    /// is `merged([of(a), of(b)])`.
    pub fn merged<'c>(parts: impl IntoIterator<Item = &'c FileContext>) -> FileContext {
        let mut ctx = FileContext::default();
        for part in parts {
            ctx.dns_proxy |= part.dns_proxy;
            ctx.dns_allowed.extend(part.dns_allowed.iter().cloned());
            for (identity, count) in &part.identities {
                *ctx.identities.entry(identity.clone()).or_default() += count;
            }
        }
        ctx.dns_allowed.sort_unstable();
        ctx.dns_allowed.dedup();
        ctx
    }

    /// Whether a NetworkPolicy of `namespace` other than `name` allows DNS.
    pub(crate) fn dns_allowed_elsewhere(
        &self,
        namespace: &Option<String>,
        name: &Option<String>,
    ) -> bool {
        let start = self.dns_allowed.partition_point(|(ns, _)| ns < namespace);
        // Deduplicated: at most one entry is `name`, so this looks at two.
        self.dns_allowed[start..]
            .iter()
            .take_while(|(ns, _)| ns == namespace)
            .any(|(_, n)| n != name)
    }
}

/// Collects lint diagnostics.
pub(crate) struct Lints<'a> {
    /// The source text, when fixes can be computed.
    pub(crate) src: Option<&'a LintSource<'a>>,
    /// What the lints know of the policies checked together with this one
    /// (file or workspace), gathered once.
    pub(crate) file: &'a FileContext,
    /// The cluster, for the lints that need pods and namespaces.
    pub(crate) cluster: Option<&'a ClusterView<'a>>,
    /// The diagnostics so far.
    pub(crate) out: Vec<Diagnostic>,
}

impl Lints<'_> {
    pub(crate) fn emit(&mut self, code: &str, field: &str, message: String, fix: Option<Fix>) {
        let severity = lint_info(code).map_or(Severity::Warning, |l| l.severity);
        let name = lint_info(code).map_or("", |l| l.name);
        self.out.push(Diagnostic {
            policy: None,
            severity,
            code: code.to_string(),
            message: format!("{message} [{name}]"),
            field: (!field.is_empty()).then(|| field.to_string()),
            line: None,
            column: None,
            fix,
        });
    }
}

/// Lints one policy. See the module documentation for the arguments.
/// (Linting every policy of a file: gather [`FileContext::of`] once and
/// call [`lint_in_file`].)
pub fn lint(
    policy: &Policy,
    source: Option<&LintSource<'_>>,
    all_policies: &[Policy],
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    lint_in_file(policy, source, &FileContext::of(all_policies), cluster)
}

/// [`lint`], with the other policies of the file given as their
/// [`FileContext`].
pub fn lint_in_file(
    policy: &Policy,
    source: Option<&LintSource<'_>>,
    file: &FileContext,
    cluster: Option<&ClusterView<'_>>,
) -> Vec<Diagnostic> {
    let mut l = Lints {
        src: source,
        file,
        cluster,
        out: Vec::new(),
    };
    for info in LINTS {
        match (info.check, policy, source) {
            (Check::NetworkPolicy(run) | Check::Both(run, _), Policy::NetworkPolicy(np), _)
                if np.spec.is_some() =>
            {
                run(np, &mut l)
            }
            (Check::Cilium(run) | Check::Both(_, run), Policy::CiliumNetworkPolicy(cp), _) => {
                run(cp, true, &mut l)
            }
            (
                Check::Cilium(run) | Check::Both(_, run),
                Policy::CiliumClusterwideNetworkPolicy(cp),
                _,
            ) => run(cp, false, &mut l),
            (Check::Source(run), _, Some(src)) => run(policy.kind(), src, &mut l),
            (Check::Policy(run), _, _) => run(policy, &mut l),
            _ => {}
        }
    }
    if !l.out.is_empty() {
        let name = policy.display_name();
        for d in &mut l.out {
            d.policy = Some(name.clone());
        }
    }
    l.out
}
