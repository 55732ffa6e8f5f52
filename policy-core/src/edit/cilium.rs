//! Edits of a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy.

use std::collections::BTreeMap;

use crate::model::LabelSelectorRequirement;

use super::{EditError, NewPeer, NewPort};
use crate::model::cilium::{
    CidrRule, CiliumRule, DefaultDeny, DnsRule, EgressRule, FqdnSelector, HttpRule, IngressRule,
    L7Rules, PortProtocol, PortRule,
};
use crate::model::{CiliumPolicy, LabelSelector, ObjectMeta};
use crate::view::{Direction, NAMESPACE_LABEL, PeerField, PeerRef, RuleRef};

/// Prefix of the labels Cilium derives from namespace labels.
pub(crate) const NAMESPACE_LABELS_PREFIX: &str = "k8s:io.cilium.k8s.namespace.labels.";

pub(super) fn new(metadata: ObjectMeta) -> CiliumPolicy {
    CiliumPolicy {
        metadata,
        spec: Some(CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            ingress: Some(vec![IngressRule::default()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The number of rules, in [`CiliumPolicy::rules`] order.
fn rule_count(p: &CiliumPolicy) -> usize {
    usize::from(p.spec.is_some()) + p.specs.as_ref().map_or(0, Vec::len)
}

/// The `idx`-th rule in [`CiliumPolicy::rules`] order.
fn rule_mut(p: &mut CiliumPolicy, idx: usize) -> Result<&mut CiliumRule, EditError> {
    let missing = || EditError::NotFound(format!("Cilium rule {idx}"));
    match (&mut p.spec, idx) {
        (Some(spec), 0) => Ok(spec),
        (Some(_), i) => p
            .specs
            .as_mut()
            .and_then(|v| v.get_mut(i - 1))
            .ok_or_else(missing),
        (None, i) => p
            .specs
            .as_mut()
            .and_then(|v| v.get_mut(i))
            .ok_or_else(missing),
    }
}

/// The first rule, created (selecting every endpoint) when there is none.
fn first_rule(p: &mut CiliumPolicy) -> &mut CiliumRule {
    if rule_count(p) == 0 {
        p.spec = Some(CiliumRule {
            endpoint_selector: Some(LabelSelector::default()),
            ..Default::default()
        });
    }
    rule_mut(p, 0).expect("a rule exists")
}

pub(super) fn set_endpoint_selector(p: &mut CiliumPolicy, selector: LabelSelector) {
    if rule_count(p) == 0 {
        first_rule(p);
    }
    for i in 0..rule_count(p) {
        if let Ok(rule) = rule_mut(p, i) {
            rule.endpoint_selector = Some(selector.clone());
            rule.node_selector = None;
        }
    }
}

/// Translates a Kubernetes namespace selector plus a pod selector into one
/// Cilium endpoint selector: `kubernetes.io/metadata.name` becomes the
/// endpoint's namespace label, other keys the derived namespace labels; unless
/// the namespace is named, `k8s:io.kubernetes.pod.namespace` must exist, so
/// that Cilium does not scope the selector to the policy's own namespace.
pub(crate) fn endpoints_in_namespaces(
    namespaces: &LabelSelector,
    pods: Option<&LabelSelector>,
) -> LabelSelector {
    let map_key = |k: &str| {
        if k == crate::model::NAMESPACE_NAME_LABEL {
            NAMESPACE_LABEL.to_string()
        } else {
            format!("{NAMESPACE_LABELS_PREFIX}{k}")
        }
    };
    let mut labels: BTreeMap<String, String> = pods
        .and_then(|p| p.match_labels.clone())
        .unwrap_or_default();
    let mut exprs: Vec<LabelSelectorRequirement> = pods
        .and_then(|p| p.match_expressions.clone())
        .unwrap_or_default();
    for (k, v) in namespaces.match_labels.iter().flatten() {
        labels.insert(map_key(k), v.clone());
    }
    for req in namespaces.match_expressions.iter().flatten() {
        exprs.push(LabelSelectorRequirement {
            key: map_key(&req.key),
            ..req.clone()
        });
    }
    // Cilium scopes an endpoint selector to the policy's namespace unless it
    // names the namespace label; "these namespaces" must name it.
    let names_namespace =
        labels.contains_key(NAMESPACE_LABEL) || exprs.iter().any(|e| e.key == NAMESPACE_LABEL);
    if !names_namespace {
        exprs.push(LabelSelectorRequirement {
            key: NAMESPACE_LABEL.to_string(),
            operator: "Exists".to_string(),
            values: None,
        });
    }
    LabelSelector {
        match_labels: (!labels.is_empty()).then_some(labels),
        match_expressions: (!exprs.is_empty()).then_some(exprs),
    }
}

fn to_port_rule(ports: &[NewPort]) -> Option<Vec<PortRule>> {
    (!ports.is_empty()).then(|| {
        vec![PortRule {
            ports: Some(ports.iter().map(to_port).collect()),
            ..Default::default()
        }]
    })
}

fn to_port(p: &NewPort) -> PortProtocol {
    PortProtocol {
        port: if p.port.is_empty() {
            "0".to_string()
        } else {
            p.port.clone()
        },
        end_port: p.end_port,
        protocol: Some(p.protocol.clone()),
    }
}

/// A rule of either direction, for direction-neutral edits.
enum RuleMut<'a> {
    In(&'a mut IngressRule),
    Out(&'a mut EgressRule),
}

impl RuleMut<'_> {
    fn ports(&mut self) -> &mut Option<Vec<PortRule>> {
        match self {
            RuleMut::In(r) => &mut r.to_ports,
            RuleMut::Out(r) => &mut r.to_ports,
        }
    }

    /// Whether the rule still names any L3 peer.
    fn has_l3(&self) -> bool {
        fn some<T>(v: &Option<Vec<T>>) -> bool {
            v.as_ref().is_some_and(|v| !v.is_empty())
        }
        match self {
            RuleMut::In(r) => {
                some(&r.from_endpoints)
                    || some(&r.from_cidr)
                    || some(&r.from_cidr_set)
                    || some(&r.from_entities)
            }
            RuleMut::Out(r) => {
                some(&r.to_endpoints)
                    || some(&r.to_cidr)
                    || some(&r.to_cidr_set)
                    || some(&r.to_entities)
                    || some(&r.to_services)
                    || some(&r.to_fqdns)
            }
        }
    }

    /// Removes the `index`-th element of a peer field.
    fn remove(&mut self, field: PeerField, index: usize) -> Result<(), EditError> {
        fn take<T>(v: &mut Option<Vec<T>>, index: usize) -> Result<(), EditError> {
            let list = v
                .as_mut()
                .filter(|l| index < l.len())
                .ok_or_else(|| EditError::NotFound(format!("peer {index}")))?;
            list.remove(index);
            if list.is_empty() {
                *v = None;
            }
            Ok(())
        }
        match (self, field) {
            (RuleMut::In(r), PeerField::Endpoints) => take(&mut r.from_endpoints, index),
            (RuleMut::In(r), PeerField::Cidr) => take(&mut r.from_cidr, index),
            (RuleMut::In(r), PeerField::CidrSet) => take(&mut r.from_cidr_set, index),
            (RuleMut::In(r), PeerField::Entities) => take(&mut r.from_entities, index),
            (RuleMut::Out(r), PeerField::Endpoints) => take(&mut r.to_endpoints, index),
            (RuleMut::Out(r), PeerField::Cidr) => take(&mut r.to_cidr, index),
            (RuleMut::Out(r), PeerField::CidrSet) => take(&mut r.to_cidr_set, index),
            (RuleMut::Out(r), PeerField::Entities) => take(&mut r.to_entities, index),
            (RuleMut::Out(r), PeerField::Services) => take(&mut r.to_services, index),
            (RuleMut::Out(r), PeerField::Fqdns) => take(&mut r.to_fqdns, index),
            (_, field) => Err(EditError::NotFound(format!(
                "peer field {field:?} in this rule"
            ))),
        }
    }
}

fn rule_at<'a>(p: &'a mut CiliumPolicy, at: &RuleRef) -> Result<RuleMut<'a>, EditError> {
    let missing = || {
        EditError::NotFound(format!(
            "{}{} rule {} of Cilium rule {}",
            at.direction.as_str(),
            if at.deny { "Deny" } else { "" },
            at.rule,
            at.spec
        ))
    };
    let rule = rule_mut(p, at.spec)?;
    Ok(match (at.direction, at.deny) {
        (Direction::Ingress, false) => RuleMut::In(
            rule.ingress
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?,
        ),
        (Direction::Ingress, true) => RuleMut::In(
            rule.ingress_deny
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?,
        ),
        (Direction::Egress, false) => RuleMut::Out(
            rule.egress
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?,
        ),
        (Direction::Egress, true) => RuleMut::Out(
            rule.egress_deny
                .as_mut()
                .and_then(|v| v.get_mut(at.rule))
                .ok_or_else(missing)?,
        ),
    })
}

pub(super) fn add_peer(
    p: &mut CiliumPolicy,
    direction: Direction,
    peer: NewPeer,
    ports: &[NewPort],
) -> Result<PeerRef, EditError> {
    let to_ports = to_port_rule(ports);
    let rule = first_rule(p);
    let (field, index);
    match direction {
        Direction::Ingress => {
            let mut r = IngressRule {
                to_ports,
                ..Default::default()
            };
            (field, index) = match peer {
                NewPeer::Anywhere if r.to_ports.is_some() => (PeerField::All, 0),
                NewPeer::Anywhere => {
                    r.from_entities = Some(vec!["all".to_string()]);
                    (PeerField::Entities, 0)
                }
                NewPeer::Pods(sel) => {
                    r.from_endpoints = Some(vec![sel]);
                    (PeerField::Endpoints, 0)
                }
                NewPeer::Namespaces { namespaces, pods } => {
                    r.from_endpoints =
                        Some(vec![endpoints_in_namespaces(&namespaces, pods.as_ref())]);
                    (PeerField::Endpoints, 0)
                }
                NewPeer::Cidr { cidr, except } => {
                    cidr_peer(&cidr, except, &mut r.from_cidr, &mut r.from_cidr_set)?
                }
                NewPeer::Entity(e) => {
                    r.from_entities = Some(vec![e]);
                    (PeerField::Entities, 0)
                }
                NewPeer::Fqdn(_) => {
                    return Err(EditError::Invalid(
                        "DNS names (toFQDNs) apply to egress only".to_string(),
                    ));
                }
            };
            let list = rule.ingress.get_or_insert_with(Vec::new);
            // An isolating empty rule (`{}`) is superseded by a real one.
            list.retain(|r| r != &IngressRule::default());
            list.push(r);
            let idx = list.len() - 1;
            Ok(PeerRef {
                rule: RuleRef {
                    direction,
                    deny: false,
                    spec: 0,
                    rule: idx,
                },
                field,
                index,
            })
        }
        Direction::Egress => {
            let mut r = EgressRule {
                to_ports,
                ..Default::default()
            };
            (field, index) = match peer {
                NewPeer::Anywhere if r.to_ports.is_some() => (PeerField::All, 0),
                NewPeer::Anywhere => {
                    r.to_entities = Some(vec!["all".to_string()]);
                    (PeerField::Entities, 0)
                }
                NewPeer::Pods(sel) => {
                    r.to_endpoints = Some(vec![sel]);
                    (PeerField::Endpoints, 0)
                }
                NewPeer::Namespaces { namespaces, pods } => {
                    r.to_endpoints =
                        Some(vec![endpoints_in_namespaces(&namespaces, pods.as_ref())]);
                    (PeerField::Endpoints, 0)
                }
                NewPeer::Cidr { cidr, except } => {
                    cidr_peer(&cidr, except, &mut r.to_cidr, &mut r.to_cidr_set)?
                }
                NewPeer::Entity(e) => {
                    r.to_entities = Some(vec![e]);
                    (PeerField::Entities, 0)
                }
                NewPeer::Fqdn(name) => {
                    let sel = if name.contains('*') {
                        FqdnSelector {
                            match_pattern: Some(name),
                            ..Default::default()
                        }
                    } else {
                        FqdnSelector {
                            match_name: Some(name),
                            ..Default::default()
                        }
                    };
                    r.to_fqdns = Some(vec![sel]);
                    (PeerField::Fqdns, 0)
                }
            };
            let list = rule.egress.get_or_insert_with(Vec::new);
            list.retain(|r| r != &EgressRule::default());
            list.push(r);
            let idx = list.len() - 1;
            Ok(PeerRef {
                rule: RuleRef {
                    direction,
                    deny: false,
                    spec: 0,
                    rule: idx,
                },
                field,
                index,
            })
        }
    }
}

fn cidr_peer(
    cidr: &str,
    except: Vec<String>,
    plain: &mut Option<Vec<String>>,
    set: &mut Option<Vec<CidrRule>>,
) -> Result<(PeerField, usize), EditError> {
    super::check_cidr(cidr)?;
    for e in &except {
        super::check_cidr(e)?;
    }
    if except.is_empty() {
        *plain = Some(vec![cidr.to_string()]);
        Ok((PeerField::Cidr, 0))
    } else {
        *set = Some(vec![CidrRule {
            cidr: Some(cidr.to_string()),
            except: Some(except),
            ..Default::default()
        }]);
        Ok((PeerField::CidrSet, 0))
    }
}

pub(super) fn remove_rule(p: &mut CiliumPolicy, at: &RuleRef) -> Result<(), EditError> {
    rule_at(p, at)?;
    let rule = rule_mut(p, at.spec)?;
    match (at.direction, at.deny) {
        (Direction::Ingress, false) => {
            remove_keeping_isolation(&mut rule.ingress, at.rule, IngressRule::default())
        }
        (Direction::Ingress, true) => remove_or_clear(&mut rule.ingress_deny, at.rule),
        (Direction::Egress, false) => {
            remove_keeping_isolation(&mut rule.egress, at.rule, EgressRule::default())
        }
        (Direction::Egress, true) => remove_or_clear(&mut rule.egress_deny, at.rule),
    }
    Ok(())
}

/// Removes an allow rule; when it was the last, leaves `{}` so that the
/// endpoints stay isolated (removing a rule must never open traffic up).
fn remove_keeping_isolation<T>(list: &mut Option<Vec<T>>, index: usize, empty: T) {
    if let Some(v) = list.as_mut() {
        v.remove(index);
        if v.is_empty() {
            v.push(empty);
        }
    }
}

fn remove_or_clear<T>(list: &mut Option<Vec<T>>, index: usize) {
    if let Some(v) = list.as_mut() {
        v.remove(index);
        if v.is_empty() {
            *list = None;
        }
    }
}

pub(super) fn remove_peer(p: &mut CiliumPolicy, at: &PeerRef) -> Result<(), EditError> {
    if at.field == PeerField::All {
        return remove_rule(p, &at.rule);
    }
    let mut rule = rule_at(p, &at.rule)?;
    rule.remove(at.field, at.index)?;
    if !rule.has_l3() {
        // Without peers the rule would apply to every peer: drop it.
        remove_rule(p, &at.rule)?;
    }
    Ok(())
}

pub(super) fn set_peer_selector(
    p: &mut CiliumPolicy,
    at: &PeerRef,
    pods: LabelSelector,
    namespaces: Option<LabelSelector>,
) -> Result<(), EditError> {
    if at.field != PeerField::Endpoints {
        return Err(EditError::Invalid(
            "this peer is not selected by labels".to_string(),
        ));
    }
    let sel = match namespaces {
        Some(ns) => endpoints_in_namespaces(&ns, Some(&pods)),
        None => pods,
    };
    let slot = match rule_at(p, &at.rule)? {
        RuleMut::In(r) => r.from_endpoints.as_mut().and_then(|v| v.get_mut(at.index)),
        RuleMut::Out(r) => r.to_endpoints.as_mut().and_then(|v| v.get_mut(at.index)),
    };
    *slot.ok_or_else(|| EditError::NotFound(format!("endpoint selector {}", at.index)))? = sel;
    Ok(())
}

pub(super) fn set_peer_cidr(
    p: &mut CiliumPolicy,
    at: &PeerRef,
    cidr: &str,
    except: &[String],
) -> Result<(), EditError> {
    let mut rule = rule_at(p, &at.rule)?;
    match at.field {
        PeerField::Cidr | PeerField::CidrSet => {}
        _ => return Err(EditError::Invalid("this peer is not a CIDR".to_string())),
    }
    // Replace the peer with a CIDR set entry (which can carry exceptions).
    rule.remove(at.field, at.index)?;
    let entry = CidrRule {
        cidr: Some(cidr.to_string()),
        except: (!except.is_empty()).then(|| except.to_vec()),
        ..Default::default()
    };
    let set = match &mut rule {
        RuleMut::In(r) => &mut r.from_cidr_set,
        RuleMut::Out(r) => &mut r.to_cidr_set,
    };
    set.get_or_insert_with(Vec::new).push(entry);
    Ok(())
}

pub(super) fn add_port(
    p: &mut CiliumPolicy,
    at: &RuleRef,
    port: &NewPort,
) -> Result<(), EditError> {
    let mut rule = rule_at(p, at)?;
    let new = to_port(port);
    let rules = rule.ports().get_or_insert_with(Vec::new);
    if rules
        .iter()
        .any(|r| r.ports.iter().flatten().any(|x| x == &new))
    {
        return Err(EditError::NoChange(
            "the rule already has this port".to_string(),
        ));
    }
    // Ports join the first port rule without L7 rules, so existing L7 rules
    // do not silently extend to the new port.
    match rules.iter_mut().find(|r| r.rules.is_none()) {
        Some(r) => r.ports.get_or_insert_with(Vec::new).push(new),
        None => rules.push(PortRule {
            ports: Some(vec![new]),
            ..Default::default()
        }),
    }
    Ok(())
}

pub(super) fn remove_port(
    p: &mut CiliumPolicy,
    at: &RuleRef,
    index: usize,
) -> Result<(), EditError> {
    let mut rule = rule_at(p, at)?;
    let ports = rule.ports();
    let mut seen = 0;
    let mut found = false;
    for r in ports.iter_mut().flatten() {
        let list = r.ports.get_or_insert_with(Vec::new);
        if index < seen + list.len() {
            list.remove(index - seen);
            found = true;
            break;
        }
        seen += list.len();
    }
    if !found {
        return Err(EditError::NotFound(format!("port {index}")));
    }
    if let Some(list) = ports.as_mut() {
        list.retain(|r| r.ports.as_ref().is_some_and(|v| !v.is_empty()));
        if list.is_empty() {
            *ports = None;
        }
    }
    Ok(())
}

pub(super) fn set_default_deny(
    p: &mut CiliumPolicy,
    direction: Direction,
    on: bool,
) -> Result<(), EditError> {
    first_rule(p);
    for i in 0..rule_count(p) {
        let rule = rule_mut(p, i)?;
        let dd = rule
            .enable_default_deny
            .get_or_insert_with(DefaultDeny::default);
        let slot = match direction {
            Direction::Ingress => &mut dd.ingress,
            Direction::Egress => &mut dd.egress,
        };
        // `true` is Cilium's default: leave it implicit.
        *slot = if on { None } else { Some(false) };
        if dd == &DefaultDeny::default() {
            rule.enable_default_deny = None;
        }
        if on {
            match direction {
                Direction::Ingress if rule.ingress.is_none() && rule.ingress_deny.is_none() => {
                    rule.ingress = Some(vec![IngressRule::default()]);
                }
                Direction::Egress if rule.egress.is_none() && rule.egress_deny.is_none() => {
                    rule.egress = Some(vec![EgressRule::default()]);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

pub(super) fn allow_dns(p: &mut CiliumPolicy) {
    let sel = LabelSelector {
        match_labels: Some(BTreeMap::from([
            (NAMESPACE_LABEL.to_string(), "kube-system".to_string()),
            ("k8s:k8s-app".to_string(), "kube-dns".to_string()),
        ])),
        ..Default::default()
    };
    let rule = EgressRule {
        to_endpoints: Some(vec![sel]),
        to_ports: Some(vec![PortRule {
            ports: Some(vec![PortProtocol {
                port: "53".to_string(),
                end_port: None,
                protocol: Some("ANY".to_string()),
            }]),
            rules: Some(L7Rules {
                dns: Some(vec![DnsRule {
                    match_pattern: Some("*".to_string()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let list = first_rule(p).egress.get_or_insert_with(Vec::new);
    list.retain(|r| r != &EgressRule::default());
    list.push(rule);
}

/// An L7 rule to add.
pub(super) enum L7 {
    Http(HttpRule),
    Dns(DnsRule),
}

pub(super) fn add_l7(p: &mut CiliumPolicy, at: &RuleRef, l7: L7) -> Result<(), EditError> {
    if at.deny {
        return Err(EditError::Invalid(
            "deny rules cannot carry L7 rules".to_string(),
        ));
    }
    let mut rule = rule_at(p, at)?;
    let ports = rule.ports();
    let Some(port_rules) = ports.as_mut().filter(|v| !v.is_empty()) else {
        return Err(EditError::Invalid(
            "L7 rules need ports: add a port (such as 80/TCP) to the rule first".to_string(),
        ));
    };
    for pr in port_rules.iter_mut() {
        let rules = pr.rules.get_or_insert_with(L7Rules::default);
        match &l7 {
            L7::Http(h) => {
                if rules.dns.is_some() {
                    return Err(EditError::Invalid(
                        "a port rule cannot mix HTTP and DNS rules".to_string(),
                    ));
                }
                rules.http.get_or_insert_with(Vec::new).push(h.clone());
            }
            L7::Dns(d) => {
                if rules.http.is_some() {
                    return Err(EditError::Invalid(
                        "a port rule cannot mix HTTP and DNS rules".to_string(),
                    ));
                }
                rules.dns.get_or_insert_with(Vec::new).push(d.clone());
            }
        }
    }
    Ok(())
}

pub(super) fn clear_l7(p: &mut CiliumPolicy, at: &RuleRef) -> Result<(), EditError> {
    let mut rule = rule_at(p, at)?;
    let mut changed = false;
    for pr in rule.ports().iter_mut().flatten() {
        changed |= pr.rules.take().is_some();
    }
    if changed {
        Ok(())
    } else {
        Err(EditError::NoChange("the rule has no L7 rules".to_string()))
    }
}
