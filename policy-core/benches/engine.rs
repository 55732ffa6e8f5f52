//! Reachability engine benchmarks (criterion).
//!
//! - the full truth table for 5,000 pods in 100 namespaces under 1,000
//!   policies (NetworkPolicy, CiliumNetworkPolicy, clusterwide), on every
//!   port those policies name; target <= 0.3 s on one core and <= 200 MB
//!   peak memory (peak RSS is printed before the criterion runs);
//! - the same for 500 pods and 100 policies;
//! - the speed-up over the naive reference evaluator at 100 pods and 20
//!   policies, where the reference still finishes in reasonable time;
//! - the connection list (every ordered pair's exact set) for 1,000 pods
//!   under 300 policies (per pod) and 5,000 pods under 1,000 policies (per
//!   workload). The whole-process figures (reading, writing) are
//!   `server/benches/connlist.sh`'s.
//!
//! Times are on-CPU time of the benchmark thread (Linux schedstat), so load
//! from other processes on a shared machine does not count; wall time of one
//! run is printed too. Run with `cargo bench -p policy-core --bench engine`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use policy_core::cluster::{Cluster, ContainerPort, EndpointId, PodInfo};
use policy_core::engine::connlist::{ConnList, GroupBy, add_address_ranges};
use policy_core::engine::{Engine, PortKey, Protocol, reference};
use policy_core::model::{CiliumPolicy, NetworkPolicy, Policy};
use serde_json::json;

/// A small deterministic generator (xorshift), so every run sees the same cluster.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TIERS: [&str; 3] = ["front", "back", "db"];
const ENVS: [&str; 3] = ["prod", "staging", "dev"];

/// `pods` pods spread over `namespaces` namespaces, with labels drawn from
/// small vocabularies (as deployments share labels), named container ports,
/// 50 nodes, and a few host-network pods and external addresses.
fn generate_cluster(pods: usize, namespaces: usize) -> Cluster {
    let mut c = Cluster::new();
    for i in 0..namespaces {
        let labels = BTreeMap::from([
            ("team".to_string(), format!("t{}", i % 10)),
            ("env".to_string(), ENVS[i % 3].to_string()),
        ]);
        c.add_namespace(&format!("ns-{i}"), labels);
    }
    for i in 0..pods {
        let ns = i % namespaces;
        let app = (i / namespaces) % 10;
        let tier = TIERS[app % 3];
        let labels = BTreeMap::from([
            ("app".to_string(), format!("app{app}")),
            ("tier".to_string(), tier.to_string()),
            ("version".to_string(), format!("v{}", i % 2)),
        ]);
        let mut p = PodInfo::new(&format!("ns-{ns}"), &format!("pod-{i}"), labels);
        p.ips = vec![
            format!("10.{}.{}.{}", 1 + i / 65536, (i / 256) % 256, i % 256)
                .parse()
                .unwrap(),
        ];
        p.node_ip = Some(format!("192.168.0.{}", 1 + i % 50).parse().unwrap());
        p.host_network = i % 997 == 0;
        p.ports = vec![
            ContainerPort {
                name: Some("http".into()),
                port: 8080,
                protocol: Protocol::Tcp,
            },
            ContainerPort {
                name: Some("metrics".into()),
                port: 9090,
                protocol: Protocol::Tcp,
            },
        ];
        if tier == "db" {
            p.ports.push(ContainerPort {
                name: Some("postgres".into()),
                port: 5432,
                protocol: Protocol::Tcp,
            });
        }
        if app == 9 {
            p.ports.push(ContainerPort {
                name: Some("dns".into()),
                port: 53,
                protocol: Protocol::Udp,
            });
        }
        c.add_pod(p);
    }
    for ip in ["8.8.8.8", "1.1.1.1", "203.0.113.10", "198.51.100.7"] {
        c.add_external(ip.parse().unwrap());
    }
    c
}

fn selector(rng: &mut Rng) -> serde_json::Value {
    match rng.below(5) {
        0 => json!({}),
        1 => json!({"matchLabels": {"app": format!("app{}", rng.below(10))}}),
        2 => json!({"matchLabels": {"tier": TIERS[rng.below(3)]}}),
        3 => {
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": [format!("app{}", rng.below(10)), format!("app{}", rng.below(10))]}]})
        }
        _ => {
            json!({"matchLabels": {"tier": TIERS[rng.below(3)], "version": format!("v{}", rng.below(2))}})
        }
    }
}

fn ns_selector(rng: &mut Rng) -> serde_json::Value {
    match rng.below(3) {
        0 => json!({"matchLabels": {"team": format!("t{}", rng.below(10))}}),
        1 => json!({"matchLabels": {"env": ENVS[rng.below(3)]}}),
        _ => json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}),
    }
}

fn np_ports(rng: &mut Rng) -> serde_json::Value {
    match rng.below(6) {
        0 => json!([{"port": 8080}]),
        1 => json!([{"port": "http"}, {"port": "metrics"}]),
        2 => json!([{"port": 5432}]),
        3 => json!([{"port": 53, "protocol": "UDP"}, {"port": 53}]),
        4 => json!([{"port": 30000, "endPort": 30010}]),
        _ => json!([{"port": 443}]),
    }
}

fn np_peer(rng: &mut Rng) -> serde_json::Value {
    match rng.below(4) {
        0 => json!({"podSelector": selector(rng)}),
        1 => json!({"namespaceSelector": ns_selector(rng)}),
        2 => json!({"namespaceSelector": ns_selector(rng), "podSelector": selector(rng)}),
        _ => {
            json!({"ipBlock": {"cidr": "10.0.0.0/8", "except": [format!("10.1.{}.0/24", rng.below(20))]}})
        }
    }
}

/// `count` policies over `namespaces` namespaces: 70% NetworkPolicy, 20%
/// CiliumNetworkPolicy, 10% clusterwide, with ingress, egress, deny rules,
/// entities and CIDR sets.
fn generate_policies(count: usize, namespaces: usize, seed: u64) -> Vec<Policy> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let ns = format!("ns-{}", i % namespaces);
        match rng.below(10) {
            0..=6 => {
                let mut spec = json!({"podSelector": selector(&mut rng)});
                let ingress: Vec<_> = (0..1 + rng.below(2))
                    .map(|_| json!({"from": [np_peer(&mut rng), np_peer(&mut rng)], "ports": np_ports(&mut rng)}))
                    .collect();
                spec["ingress"] = json!(ingress);
                if rng.below(3) == 0 {
                    spec["egress"] =
                        json!([{"to": [np_peer(&mut rng)], "ports": np_ports(&mut rng)}]);
                    spec["policyTypes"] = json!(["Ingress", "Egress"]);
                }
                let v =
                    json!({"metadata": {"name": format!("np-{i}"), "namespace": ns}, "spec": spec});
                out.push(Policy::NetworkPolicy(
                    serde_json::from_value::<NetworkPolicy>(v).unwrap(),
                ));
            }
            7 | 8 => {
                let spec = json!({
                    "endpointSelector": selector(&mut rng),
                    "ingress": [{
                        "fromEndpoints": [selector(&mut rng)],
                        "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}]
                    }, {"fromEntities": ["host", "remote-node"]}],
                    "egress": [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": format!("ns-{}", rng.below(namespaces))}}]},
                               {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}], "toPorts": [{"ports": [{"port": "443"}]}]}],
                    "egressDeny": [{"toEndpoints": [{"matchLabels": {"tier": "db"}}], "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}]
                });
                let v = json!({"metadata": {"name": format!("cnp-{i}"), "namespace": ns}, "spec": spec});
                out.push(Policy::CiliumNetworkPolicy(
                    serde_json::from_value::<CiliumPolicy>(v).unwrap(),
                ));
            }
            _ => {
                let spec = json!({
                    "endpointSelector": {"matchLabels": {"io.cilium.k8s.namespace.labels.team": format!("t{}", rng.below(10))}},
                    "enableDefaultDeny": {"ingress": false, "egress": false},
                    "ingressDeny": [{"fromEntities": ["world"], "toPorts": [{"ports": [{"port": "9090"}]}]}],
                    "ingress": [{"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.namespace.labels.env": "prod"}}]}]
                });
                let v = json!({"metadata": {"name": format!("ccnp-{i}")}, "spec": spec});
                out.push(Policy::CiliumClusterwideNetworkPolicy(
                    serde_json::from_value::<CiliumPolicy>(v).unwrap(),
                ));
            }
        }
    }
    out
}

fn full_table(cluster: &Cluster, policies: &[Policy]) -> (usize, usize) {
    let engine = Engine::new(cluster, policies);
    let ports = engine.policy_ports();
    let table = engine.truth_table(&ports);
    (ports.len(), table.matrices.iter().map(|m| m.count()).sum())
}

/// Time this thread has spent on a CPU, in ns (Linux schedstat).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Peak resident set size of this process so far, in MB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One measured run of the 5,000-pod case before criterion starts, so that
/// the peak RSS printed is that of the big case alone.
fn report_scale() {
    let before = peak_rss_mb();
    let cluster = generate_cluster(5000, 100);
    let policies = generate_policies(1000, 100, 0x5eed);
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let engine = Engine::new(&cluster, &policies);
    let compiled = start.elapsed();
    let port_list = engine.policy_ports();
    let table = engine.truth_table(&port_list);
    let took = start.elapsed();
    let cpu = thread_cpu_ns()
        .zip(cpu_start)
        .map(|(b, a)| (b - a) as f64 / 1e9);
    let (ports, allowed) = (
        port_list.len(),
        table.matrices.iter().map(|m| m.count()).sum::<usize>(),
    );
    println!(
        "scale: on-CPU time {:.3} s (wall time includes waiting for a core on a shared machine)",
        cpu.unwrap_or(f64::NAN)
    );
    println!(
        "scale: compile {:.3} s, table {:.3} s",
        compiled.as_secs_f64(),
        (took - compiled).as_secs_f64()
    );
    let n = cluster.endpoint_count();
    println!(
        "scale: {} endpoints, {} policies, {ports} ports: full truth table in {:.3} s ({allowed} of {} cells allowed); peak RSS {:.1} MB (before generating: {:.1} MB)",
        n,
        policies.len(),
        took.as_secs_f64(),
        n * n * ports,
        peak_rss_mb().unwrap_or(f64::NAN),
        before.unwrap_or(f64::NAN),
    );
}

/// Runs `f` `iters` times and returns the time this thread spent on a CPU
/// (so that other load on a shared machine does not count), falling back to
/// wall time where schedstat is unavailable.
fn on_cpu<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
    for _ in 0..iters {
        black_box(f());
    }
    match (cpu, thread_cpu_ns()) {
        (Some(a), Some(b)) => Duration::from_nanos(b - a),
        _ => wall.elapsed(),
    }
}

fn bench_tables(c: &mut Criterion) {
    let mut group = c.benchmark_group("truth_table");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let big = generate_cluster(5000, 100);
    let big_policies = generate_policies(1000, 100, 0x5eed);
    group.bench_function("5000_pods_100_ns_1000_policies", |b| {
        b.iter_custom(|iters| on_cpu(iters, || full_table(&big, &big_policies)))
    });
    let small = generate_cluster(500, 100);
    let small_policies = generate_policies(100, 100, 0x5eed);
    group.bench_function("500_pods_100_ns_100_policies", |b| {
        b.iter_custom(|iters| on_cpu(iters, || full_table(&small, &small_policies)))
    });
    group.finish();
}

fn bench_reference(c: &mut Criterion) {
    let cluster = generate_cluster(100, 20);
    let policies = generate_policies(20, 20, 0xbeef);
    let ports: Vec<PortKey> = Engine::new(&cluster, &policies).policy_ports();
    // Check once that both agree, so the comparison is between equals.
    let engine = Engine::new(&cluster, &policies);
    let table = engine.truth_table(&ports);
    let want = reference::truth_table(&cluster, &policies, &ports);
    for (pi, rows) in want.iter().enumerate() {
        for (s, row) in rows.iter().enumerate() {
            for (t, cell) in row.iter().enumerate() {
                assert_eq!(table.allowed(pi, EndpointId(s), EndpointId(t)), *cell);
            }
        }
    }
    let mut group = c.benchmark_group("engine_vs_reference_100_pods_20_policies");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("engine", |b| {
        b.iter_custom(|iters| {
            on_cpu(iters, || {
                Engine::new(&cluster, &policies).truth_table(&ports)
            })
        })
    });
    group.bench_function("reference", |b| {
        b.iter_custom(|iters| {
            on_cpu(iters, || {
                reference::truth_table(&cluster, &policies, &ports)
            })
        })
    });
    group.finish();
}

/// The connection list's walk (every ordered pair's exact set, as
/// `probe --output connlist` prints it), counting the lines.
fn connection_list(cluster: &Cluster, policies: &[Policy], group_by: GroupBy) -> usize {
    let mut cluster = cluster.clone();
    let ranges = Engine::new(&Cluster::new(), policies).address_partitions();
    let externals = add_address_ranges(&mut cluster, &ranges);
    let engine = Engine::new(&cluster, policies);
    let list = ConnList::new(&engine, &externals, group_by);
    let mut lines = 0usize;
    list.for_each(|_, _, c| {
        lines += black_box(c.text()).len().min(1);
        Ok::<(), ()>(())
    })
    .expect("no error");
    lines
}

fn bench_connlist(c: &mut Criterion) {
    let mut group = c.benchmark_group("connlist");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    let small = generate_cluster(1000, 50);
    let small_policies = generate_policies(300, 50, 0x5eed);
    group.bench_function("1000_pods_50_ns_300_policies_pods", |b| {
        b.iter_custom(|iters| {
            on_cpu(iters, || {
                connection_list(&small, &small_policies, GroupBy::Pod)
            })
        })
    });
    let big = generate_cluster(5000, 100);
    let big_policies = generate_policies(1000, 100, 0x5eed);
    group.bench_function("5000_pods_100_ns_1000_policies_workloads", |b| {
        b.iter_custom(|iters| {
            on_cpu(iters, || {
                connection_list(&big, &big_policies, GroupBy::Workload)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_tables, bench_reference, bench_connlist);

fn main() {
    report_scale();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
