//! `check` (parse + validate + lint) on what the server's `/api/check` and
//! the page's editor see: a typical 30-line policy, and the 100-rule
//! policy of the page's keystroke bench. `read` is the YAML reader (the
//! fast path for block YAML), `read-general` the saphyr-based one.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use policy_core::check::check_parsed;
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

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    for (name, text) in [
        (
            "policy-30-lines",
            include_str!("data/policy-30.yaml").to_string(),
        ),
        ("policy-100-rules", big_policy(100)),
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
