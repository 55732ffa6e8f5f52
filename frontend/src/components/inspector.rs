//! The inspector under the graph: details and edits for the selection.

use leptos::prelude::*;
use policy_core::edit::{self, NewPeer, NewPort, parse_selector};
use policy_core::model::PolicyKind;
use policy_core::model::cilium::{DnsRule, HttpRule};
use policy_core::view::{Direction, GroupKind, Peer, PeerKind, PeerRef};

use crate::state::{AppState, Selection};

/// Parses a comma-separated port list (`80/TCP, 53/UDP`).
fn parse_ports(text: &str) -> Result<Vec<NewPort>, edit::EditError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(NewPort::parse)
        .collect()
}

fn is_cilium(state: &AppState) -> bool {
    state
        .analysis
        .with_untracked(|a| a.policy.as_ref().map(|p| p.kind()))
        .is_some_and(|k| k != PolicyKind::NetworkPolicy)
}

/// The inspector panel.
#[component]
pub fn Inspector() -> impl IntoView {
    let state = expect_context::<AppState>();
    // The selected peer, as a memo: the form is rebuilt when the peer
    // itself changes, not on every keystroke elsewhere in the policy.
    let selected_peer = Memo::new(move |_| match state.selection.get() {
        Selection::Peer(at) => state
            .graph
            .with(|g| g.as_ref().and_then(|(_, g)| g.peer(&at).cloned())),
        _ => None,
    });
    // The subject's name, namespace and selector, as a memo: its form is
    // rebuilt when they change (an edit in the YAML pane, undo), not on
    // every keystroke elsewhere, so what is typed in the form is kept.
    let subject = Memo::new(move |_| {
        let named = state.analysis.with(|a| {
            a.policy
                .as_ref()
                .map(|p| (p.name().to_string(), p.namespace().map(str::to_string)))
        });
        let selector = state
            .graph
            .with(|g| g.as_ref().map(|(_, g)| g.subject.selector.clone()));
        (named, selector)
    });
    let body = move || {
        match state.selection.get() {
        Selection::None => view! {
            <p class="hint">"Select a peer or the selected pods to edit them, or press + in a group to add a peer. Keyboard: Tab to move, Enter to select, Delete to remove a peer."</p>
        }.into_any(),
        Selection::Subject => {
            // Read, not only tracked: a memo never read never runs.
            subject.with(|_| ());
            view! { <SubjectForm/> }.into_any()
        }
        Selection::Add(d, k) => view! { <AddForm direction=d kind=k/> }.into_any(),
        Selection::Peer(_) => {
            match selected_peer.get() {
                Some(p) => view! { <PeerForm peer=p/> }.into_any(),
                None => view! { <p class="hint">"That peer no longer exists."</p> }.into_any(),
            }
        }
    }
    };
    view! {
        <section class="inspector" aria-label="Inspector">{body}</section>
    }
}

#[component]
fn SubjectForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let current = state.analysis.with_untracked(|a| a.policy.clone());
    let (name, ns) = current
        .as_ref()
        .map(|p| {
            (
                p.name().to_string(),
                p.namespace().unwrap_or("").to_string(),
            )
        })
        .unwrap_or_default();
    let sel = state
        .graph
        .with_untracked(|g| g.as_ref().map(|(_, g)| g.subject.selector.join(", ")))
        .unwrap_or_default();
    let name = RwSignal::new(name);
    let ns = RwSignal::new(ns);
    let sel = RwSignal::new(sel);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let selector = match parse_selector(&sel.get_untracked()) {
            Ok(s) => s,
            Err(e) => return state.say(e.to_string(), true),
        };
        let (n, namespace) = (name.get_untracked(), ns.get_untracked());
        state.edit(|p| {
            let p = edit::rename(p, &n)?;
            let p = if p.kind() == PolicyKind::CiliumClusterwideNetworkPolicy {
                p
            } else {
                edit::set_namespace(&p, &namespace)?
            };
            edit::set_subject_selector(&p, selector)
        });
    };
    // The summary follows the policy (it is computed just after each edit).
    let summary = move || {
        state
            .explained
            .with(|e| e.as_ref().map(|e| e.summary.join(" ")))
            .or_else(|| state.explanation_now().map(|e| e.summary.join(" ")))
    };
    view! {
        <h3 class="insp-title">"Selected pods"</h3>
        {move || summary().map(|s| view! { <p class="sentence">{s}</p> })}
        <form class="form-grid" on:submit=apply>
            <label for="f-name">"Name"</label>
            <input id="f-name" type="text" bind:value=name spellcheck="false"/>
            <label for="f-ns">"Namespace"</label>
            <input id="f-ns" type="text" bind:value=ns spellcheck="false"/>
            <label for="f-sel">"Pod selector"</label>
            <input id="f-sel" type="text" bind:value=sel placeholder="app=web, tier in (a, b) — empty selects all pods" spellcheck="false"/>
            <div class="form-actions"><button type="submit" class="btn primary small">"Apply"</button></div>
        </form>
    }
}

#[component]
fn AddForm(direction: Direction, kind: GroupKind) -> impl IntoView {
    let state = expect_context::<AppState>();
    let cilium = is_cilium(&state);
    let pods = RwSignal::new(String::new());
    let namespaces = RwSignal::new(String::new());
    let cidr = RwSignal::new(String::new());
    let except = RwSignal::new(String::new());
    let entity = RwSignal::new(String::new());
    let fqdn = RwSignal::new(String::new());
    let ports = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let peer = (|| -> Result<NewPeer, String> {
            Ok(match kind {
                GroupKind::Anywhere => NewPeer::Anywhere,
                GroupKind::InNamespace => {
                    NewPeer::Pods(parse_selector(&pods.get_untracked()).map_err(|e| e.to_string())?)
                }
                GroupKind::InCluster | GroupKind::Dns
                    if !entity.get_untracked().trim().is_empty() =>
                {
                    NewPeer::Entity(entity.get_untracked().trim().to_string())
                }
                GroupKind::InCluster | GroupKind::Dns => {
                    let pods_text = pods.get_untracked();
                    NewPeer::Namespaces {
                        namespaces: parse_selector(&namespaces.get_untracked())
                            .map_err(|e| e.to_string())?,
                        pods: if pods_text.trim().is_empty() {
                            None
                        } else {
                            Some(parse_selector(&pods_text).map_err(|e| e.to_string())?)
                        },
                    }
                }
                GroupKind::OutsideCluster if !fqdn.get_untracked().trim().is_empty() => {
                    NewPeer::Fqdn(fqdn.get_untracked().trim().to_string())
                }
                GroupKind::OutsideCluster if !entity.get_untracked().trim().is_empty() => {
                    NewPeer::Entity(entity.get_untracked().trim().to_string())
                }
                GroupKind::OutsideCluster => NewPeer::Cidr {
                    cidr: cidr.get_untracked().trim().to_string(),
                    except: except
                        .get_untracked()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                },
            })
        })();
        let peer = match peer {
            Ok(p) => p,
            Err(e) => return state.say(e, true),
        };
        let ports = match parse_ports(&ports.get_untracked()) {
            Ok(p) => p,
            Err(e) => return state.say(e.to_string(), true),
        };
        let mut added: Option<PeerRef> = None;
        let ok = state.edit(|p| {
            let (p, at) = edit::add_peer(p, direction, peer, &ports)?;
            added = Some(at);
            Ok(p)
        });
        if ok {
            state
                .selection
                .set(added.map(Selection::Peer).unwrap_or(Selection::None));
        }
    };
    let title = format!(
        "Add {} peer: {}",
        direction.as_str(),
        kind.title().to_lowercase()
    );
    view! {
        <h3 class="insp-title">{title}</h3>
        <form class="form-grid" on:submit=submit aria-label="Add peer">
            {match kind {
                GroupKind::Anywhere => view! { <p class="hint span2">"Allows every peer on the given ports."</p> }.into_any(),
                GroupKind::InNamespace => view! {
                    <label for="a-pods">"Pod selector"</label>
                    <input id="a-pods" type="text" bind:value=pods placeholder="app=frontend" spellcheck="false"/>
                }.into_any(),
                GroupKind::InCluster | GroupKind::Dns => view! {
                    <label for="a-ns">"Namespace selector"</label>
                    <input id="a-ns" type="text" bind:value=namespaces placeholder="kubernetes.io/metadata.name=monitoring — empty: all" spellcheck="false"/>
                    <label for="a-pods">"Pod selector"</label>
                    <input id="a-pods" type="text" bind:value=pods placeholder="app=prometheus — empty: all pods" spellcheck="false"/>
                    {cilium.then(|| view! {
                        <label for="a-entity">"or entity"</label>
                        <input id="a-entity" type="text" bind:value=entity placeholder="cluster, host, kube-apiserver" spellcheck="false"/>
                    })}
                }.into_any(),
                GroupKind::OutsideCluster => view! {
                    <label for="a-cidr">"CIDR"</label>
                    <input id="a-cidr" type="text" bind:value=cidr placeholder="10.0.0.0/16" spellcheck="false"/>
                    <label for="a-except">"Except"</label>
                    <input id="a-except" type="text" bind:value=except placeholder="10.0.5.0/24, …" spellcheck="false"/>
                    {cilium.then(|| view! {
                        <label for="a-entity">"or entity"</label>
                        <input id="a-entity" type="text" bind:value=entity placeholder="world" spellcheck="false"/>
                        <label for="a-fqdn">"or DNS name"</label>
                        <input id="a-fqdn" type="text" bind:value=fqdn placeholder="api.example.com, *.example.com" spellcheck="false"/>
                    })}
                }.into_any(),
            }}
            <label for="a-ports">"Ports"</label>
            <input id="a-ports" type="text" bind:value=ports placeholder="80/TCP, 53/UDP — empty: all ports" spellcheck="false"/>
            <div class="form-actions">
                <button type="button" class="btn small" on:click=move |_| state.selection.set(Selection::None)>"Cancel"</button>
                <button type="submit" class="btn primary small">"Add peer"</button>
            </div>
        </form>
    }
}

#[component]
fn PeerForm(peer: Peer) -> impl IntoView {
    let state = expect_context::<AppState>();
    let at = peer.at;
    let cilium = is_cilium(&state);
    let (pods_now, ns_now) = peer
        .selector
        .clone()
        .map(|s| (s.pods, s.namespaces))
        .unwrap_or_default();
    let pods = RwSignal::new(pods_now);
    let nss = RwSignal::new(ns_now.clone().unwrap_or_default());
    let cidr = RwSignal::new(if peer.kind == PeerKind::Cidr {
        peer.title.clone()
    } else {
        String::new()
    });
    let except = RwSignal::new(
        peer.details
            .iter()
            .find_map(|d| d.strip_prefix("except ").map(str::to_string))
            .unwrap_or_default(),
    );
    let new_port = RwSignal::new(String::new());
    let http_method = RwSignal::new("GET".to_string());
    let http_path = RwSignal::new("/.*".to_string());
    let dns_pattern = RwSignal::new("*".to_string());
    let has_ns = ns_now.is_some();
    let label_peer = peer.selector.is_some();

    let apply_selector = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = match parse_selector(&pods.get_untracked()) {
            Ok(s) => s,
            Err(e) => return state.say(e.to_string(), true),
        };
        let n = if has_ns {
            match parse_selector(&nss.get_untracked()) {
                Ok(s) => Some(s),
                Err(e) => return state.say(e.to_string(), true),
            }
        } else {
            None
        };
        state.edit(|pol| edit::set_peer_selector(pol, &at, p, n));
    };
    let apply_cidr = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ex: Vec<String> = except
            .get_untracked()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let c = cidr.get_untracked();
        state.edit(|pol| edit::set_peer_cidr(pol, &at, c.trim(), &ex));
    };
    let add_port = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match NewPort::parse(&new_port.get_untracked()) {
            Ok(port) => {
                if state.edit(|pol| edit::add_port(pol, &at.rule, &port)) {
                    new_port.set(String::new());
                }
            }
            Err(e) => state.say(e.to_string(), true),
        }
    };
    let add_http = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rule = HttpRule {
            method: Some(http_method.get_untracked()).filter(|s| !s.is_empty()),
            path: Some(http_path.get_untracked()).filter(|s| !s.is_empty()),
            ..Default::default()
        };
        state.edit(|pol| edit::add_http_rule(pol, &at.rule, rule));
    };
    let add_dns = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let pattern = dns_pattern.get_untracked();
        let rule = if pattern.contains('*') {
            DnsRule {
                match_pattern: Some(pattern),
                ..Default::default()
            }
        } else {
            DnsRule {
                match_name: Some(pattern),
                ..Default::default()
            }
        };
        state.edit(|pol| edit::add_dns_rule(pol, &at.rule, rule));
    };
    let remove = move |_| {
        if state.edit(|pol| edit::remove_peer(pol, &at)) {
            state.selection.set(Selection::None);
        }
    };
    let explanation = state.explanation_now();
    let rule_text = state.analysis.with_untracked(|a| {
        let policy = a.policy.as_ref()?;
        let field = policy_core::view::rule_field(policy, &at.rule);
        let text = explanation
            .as_ref()?
            .rules
            .iter()
            .find(|r| r.field == field)?
            .text
            .clone();
        Some((field, text))
    });
    let ports = peer.edge.ports.clone();
    let l7 = peer.edge.l7.clone();
    let deny = peer.edge.deny;
    view! {
        <div class="insp-head">
            <h3 class="insp-title">{format!("{} peer: {}", at.rule.direction.as_str(), peer.title)}</h3>
            <button type="button" class="btn small danger" on:click=remove>"Remove peer"</button>
        </div>
        <p class="sentence">{peer.sentence.clone()}</p>
        {rule_text.map(|(field, text)| view! {
            <p class="rule-explain"><span class="rule-field">{field}</span>" "{text}</p>
        })}
        {label_peer.then(|| view! {
            <form class="form-grid" on:submit=apply_selector aria-label="Edit selector">
                {has_ns.then(|| view! {
                    <label for="p-ns">"Namespace selector"</label>
                    <input id="p-ns" type="text" bind:value=nss spellcheck="false"/>
                })}
                <label for="p-pods">"Pod selector"</label>
                <input id="p-pods" type="text" bind:value=pods spellcheck="false"/>
                <div class="form-actions"><button type="submit" class="btn small primary">"Apply selector"</button></div>
            </form>
        })}
        {(peer.kind == PeerKind::Cidr).then(|| view! {
            <form class="form-grid" on:submit=apply_cidr aria-label="Edit CIDR">
                <label for="p-cidr">"CIDR"</label>
                <input id="p-cidr" type="text" bind:value=cidr spellcheck="false"/>
                <label for="p-except">"Except"</label>
                <input id="p-except" type="text" bind:value=except spellcheck="false"/>
                <div class="form-actions"><button type="submit" class="btn small primary">"Apply CIDR"</button></div>
            </form>
        })}
        <div class="ports">
            <span class="field-label">"Ports"</span>
            <ul class="chips" aria-label="Ports">
                {if ports.is_empty() {
                    view! { <li class="chip muted">"all ports"</li> }.into_any()
                } else {
                    ports.into_iter().enumerate().map(|(i, p)| {
                        let text = p.text();
                        view! {
                            <li class="chip">{text.clone()}
                                <button type="button" class="chip-x" aria-label=format!("Remove port {text}")
                                    on:click=move |_| { state.edit(|pol| edit::remove_port(pol, &at.rule, i)); }>"×"</button>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            <form class="inline-form" on:submit=add_port aria-label="Add port">
                <input type="text" bind:value=new_port placeholder="443/TCP or 8000-8080/TCP" aria-label="New port" spellcheck="false"/>
                <button type="submit" class="btn small">"Add port"</button>
            </form>
        </div>
        {(!l7.is_empty()).then(|| view! {
            <div class="l7-list">
                <span class="field-label">"L7 rules"</span>
                <ul>{l7.into_iter().map(|b| view! { <li><b>{b.protocol}</b>" "{b.rules.join(" · ")}</li> }).collect_view()}</ul>
                <button type="button" class="btn small" on:click=move |_| { state.edit(|pol| edit::clear_l7(pol, &at.rule)); }>"Remove L7 rules"</button>
            </div>
        })}
        {(cilium && !deny).then(|| view! {
            <form class="inline-form" on:submit=add_http aria-label="Add HTTP rule">
                <span class="field-label">"HTTP"</span>
                <input type="text" bind:value=http_method aria-label="HTTP method" class="short" spellcheck="false"/>
                <input type="text" bind:value=http_path aria-label="HTTP path regex" spellcheck="false"/>
                <button type="submit" class="btn small">"Add HTTP rule"</button>
            </form>
            {(at.rule.direction == Direction::Egress).then(|| view! {
                <form class="inline-form" on:submit=add_dns aria-label="Add DNS rule">
                    <span class="field-label">"DNS"</span>
                    <input type="text" bind:value=dns_pattern aria-label="DNS name or pattern" spellcheck="false"/>
                    <button type="submit" class="btn small">"Add DNS rule"</button>
                </form>
            })}
        })}
    }
}
