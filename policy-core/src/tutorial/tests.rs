use super::*;

#[test]
fn there_are_six_tutorials_with_unique_ids() {
    let all = all();
    assert!(all.len() >= 6);
    let mut ids: Vec<&str> = all.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
    for t in &all {
        assert!(!t.steps.is_empty(), "{}", t.id);
        for s in t.steps {
            assert!(
                !s.goals.is_empty() && !s.hints.is_empty() && !s.text.is_empty(),
                "{}: {}",
                t.id,
                s.title
            );
        }
    }
}

#[test]
fn demo_cluster_reads() {
    let c = demo_cluster();
    assert_eq!(c.namespaces.len(), 4);
    assert_eq!(c.pods.len(), 8);
    assert!(
        c.pods
            .iter()
            .all(|p| !p.ips.is_empty() && !p.ports.is_empty())
    );
}

#[test]
fn every_goal_names_known_endpoints_and_ports() {
    for t in all() {
        let cluster = t.cluster();
        for s in t.steps {
            for g in s.goals {
                for e in [g.from, g.to] {
                    let r: EndpointRef = e.parse().unwrap();
                    assert!(cluster.find(&r).is_some(), "{}: {e}", t.id);
                }
                g.port.parse::<PortKey>().unwrap();
            }
        }
    }
}

#[test]
fn reference_solutions_are_clean_yaml() {
    for t in all() {
        for s in t.steps {
            let docs = s.solution;
            let (policies, errors) = workspace_policies(docs);
            assert!(errors.is_empty(), "{} {}: {errors:?}", t.id, s.title);
            assert_eq!(policies.len(), docs.len(), "{} {}", t.id, s.title);
            for p in &policies {
                let diags = crate::validate::validate(p);
                assert!(
                    diags.iter().all(|d| d.severity != Severity::Error),
                    "{} {}: {diags:?}",
                    t.id,
                    s.title
                );
            }
        }
    }
}

#[test]
fn start_completes_no_step() {
    for t in all() {
        let start = t.start_documents();
        for i in 0..t.steps.len() {
            let c = check_step(&t, i, &start);
            assert!(!c.complete, "{} step {i} is complete at the start", t.id);
            assert!(c.errors.is_empty(), "{}: {:?}", t.id, c.errors);
        }
        assert_eq!(progress(&t, &start), 0);
    }
}

#[test]
fn each_solution_completes_its_step_and_all_before() {
    for t in all() {
        for (i, s) in t.steps.iter().enumerate() {
            let docs = s.solution;
            for j in 0..=i {
                let c = check_step(&t, j, docs);
                let failed: Vec<String> = c
                    .goals
                    .iter()
                    .filter(|g| !g.met)
                    .map(|g| format!("{} — {}", g.goal.describe(), g.explanation))
                    .collect();
                assert!(
                    c.complete,
                    "{} solution {i} fails step {j}: {failed:#?}",
                    t.id
                );
                assert_eq!(c.met_count(), t.steps[j].goals.len());
            }
        }
        let last = t.steps.last().unwrap().solution;
        assert_eq!(progress(&t, last), t.steps.len(), "{}", t.id);
    }
}

#[test]
fn each_step_asks_for_new_work() {
    for t in all() {
        for i in 1..t.steps.len() {
            let previous = t.steps[i - 1].solution;
            assert!(
                !check_step(&t, i, previous).complete,
                "{} step {i} is already done by step {} 's solution",
                t.id,
                i - 1
            );
        }
    }
}

#[test]
fn the_and_or_trap_is_caught_by_grafana() {
    let t = find("across-namespaces").unwrap();
    let c = check_step(&t, 0, &t.start_documents());
    let grafana = c
        .goals
        .iter()
        .find(|g| g.goal.from == "monitoring/grafana-1")
        .unwrap();
    assert!(!grafana.met);
    assert_eq!(grafana.allowed, Some(true));
    assert!(
        grafana.explanation.contains("api-allow-prometheus"),
        "{}",
        grafana.explanation
    );
}

#[test]
fn l7_goal_needs_the_http_rule() {
    let t = find("cilium-l7-http").unwrap();
    let c = check_step(&t, 1, t.steps[0].solution);
    let web = &c.goals[0];
    assert_eq!(web.allowed, Some(true));
    assert!(!web.met);
    assert!(web.explanation.contains("L7"), "{}", web.explanation);
    // A different method does not satisfy the goal.
    let wrong = t.steps[1].solution[0].replace("method: GET", "method: PUT");
    assert!(!check_step(&t, 1, &split_documents(&wrong)).complete);
}

#[test]
fn yaml_errors_block_completion_but_still_check() {
    let t = find("default-deny-ingress").unwrap();
    let mut docs: Vec<String> = t.steps[0].solution.iter().map(|s| s.to_string()).collect();
    docs.push("kind: [unclosed".to_string());
    let c = check_step(&t, 0, &docs);
    assert!(!c.errors.is_empty());
    assert!(!c.complete);
    assert_eq!(c.met_count(), t.steps[0].goals.len());
}

#[test]
fn forgetting_the_namespace_is_not_enough() {
    let t = find("default-deny-ingress").unwrap();
    let without_ns = t.steps[0].solution[0].replace("  namespace: shop\n", "");
    assert!(!check_step(&t, 0, &split_documents(&without_ns)).complete);
}

#[test]
fn unknown_step_is_incomplete() {
    let t = find("egress-dns").unwrap();
    assert!(!check_step(&t, 99, t.steps[0].solution).complete);
    assert!(find("nope").is_none());
}
