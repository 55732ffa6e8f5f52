//! `check` (parse + validate + lint) on what the server's `/api/check` and
//! the page's editor see: a typical 30-line policy, and the 100-rule
//! policy of the page's keystroke bench. `read` is the YAML reader (the
//! fast path for block YAML), `read-general` the saphyr-based one.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use policy_core::check::{IncrementalCheck, check_parsed};
use policy_core::yaml::parse_documents;
use policy_core::yaml::reader::{read_documents, read_documents_general};

/// The editor bench's policy: `n` ingress rules, one peer and one port each.
fn big_policy(n: usize) -> String {
    let mut out = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: big\n  namespace: prod\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Ingress\n  ingress:\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "  - from:\n    - podSelector:\n        matchLabels:\n          app: client-{i}\n    ports:\n    - protocol: TCP\n      port: {}\n",
            1000 + i
        ));
    }
    out
}

/// The page bench's allow-list: one egress rule with `n` ipBlock peers.
fn ip_blocks(n: usize) -> String {
    let mut out = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: egress-allow-list\n  namespace: prod\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "    - ipBlock:\n        cidr: {}.{}.{}.0/24\n",
            49 + i / 65536,
            (i / 256) % 256,
            i % 256
        ));
    }
    out.push_str("    ports:\n    - protocol: TCP\n      port: 443\n");
    out
}

/// The page bench's workspace: `policies` documents of `rules` rules.
fn workspace(policies: usize, rules: usize) -> String {
    (0..policies)
        .map(|p| big_policy(rules).replace("name: big", &format!("name: svc-{p}")))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    for (name, text) in [
        (
            "policy-30-lines",
            include_str!("data/policy-30.yaml").to_string(),
        ),
        ("policy-100-rules", big_policy(100)),
        ("policy-1000-rules", big_policy(1000)),
        ("ipblocks-640", ip_blocks(640)),
        ("workspace-20x50", workspace(20, 50)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{name}/read-general"), |b| {
            b.iter(|| read_documents_general(std::hint::black_box(&text)))
        });
        group.bench_function(format!("{name}/read"), |b| {
            b.iter(|| read_documents(std::hint::black_box(&text)))
        });
        group.bench_function(format!("{name}/parse"), |b| {
            b.iter(|| parse_documents(std::hint::black_box(&text)))
        });
        group.bench_function(format!("{name}/parse+check"), |b| {
            b.iter(|| {
                let parsed = parse_documents(std::hint::black_box(&text));
                check_parsed(&text, &parsed, None)
            })
        });
    }
    // A keystroke in the page: the incremental checker re-reads only the
    // edited document of the workspace.
    let text = workspace(20, 50);
    let mut inc = IncrementalCheck::new();
    inc.check(&text);
    let mut n = 0u32;
    group.bench_function("workspace-20x50/incremental-keystroke", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            let edited = text.replacen("port: 1049\n", &format!("port: {}\n", 20000 + n % 1000), 1);
            inc.check(std::hint::black_box(&edited))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
