//! Writes the seed inputs of every corpus (`corpus/TARGET/seed-*`) from the
//! repository's own samples: policy YAMLs, Hubble flow logs, cluster dumps
//! and workload manifests, in each target's input format.
//!
//! `cargo run -p palisade-fuzz --example seed_corpora`, then fuzz, then
//! minimise (`cargo fuzz cmin`); the seeds libFuzzer finds redundant go.

use std::fs;
use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = fuzz.parent().expect("fuzz/ is in the workspace");
    let corpus = fuzz.join("corpus");

    let policies = policy_samples(repo)?;
    let flows = flow_samples(repo)?;
    let cluster_dump = read(repo, "playwright/fixtures/cluster-dump.yaml")?;
    let analyzer = "server/tests/data/netpol-analyzer/core_pods_without_host_ip";
    let ns_list = read(repo, &format!("{analyzer}/ns_list.yaml"))?;
    let pods_list = read(repo, &format!("{analyzer}/pods_list.yaml"))?;
    let allow_all = read(repo, &format!("{analyzer}/enable-all-traffic.yaml"))?;

    // check_yaml: the policy files as they are.
    let mut seeds = Seeds::new(&corpus, "check_yaml");
    for (name, text) in &policies {
        seeds.add(name, text.as_bytes());
    }
    seeds.add("cluster-dump", cluster_dump.as_bytes());

    // edit_view: edit bytes, then a policy to start from (or none).
    let mut seeds = Seeds::new(&corpus, "edit_view");
    for (i, (name, text)) in policies.iter().enumerate().step_by(4) {
        let ops = noise(i as u64, 96);
        let mut input = (ops.len() as u16).to_le_bytes().to_vec();
        input.extend(&ops);
        input.extend(text.as_bytes());
        seeds.add(name, &input);
    }
    for kind in 0u8..3 {
        let mut ops = noise(100 + u64::from(kind), 128);
        ops[0] = kind;
        let mut input = (ops.len() as u16).to_le_bytes().to_vec();
        input.extend(&ops);
        seeds.add(&format!("new-policy-{kind}"), &input);
    }

    // flow_chunks: a header (record limit, chunk sizes), then the log.
    let mut seeds = Seeds::new(&corpus, "flow_chunks");
    for (i, (name, text)) in flows.iter().enumerate() {
        let mut input = vec![i as u8, 0, 6, 200];
        input.extend(text.as_bytes());
        seeds.add(name, &input);
    }

    // cluster_reader: texts separated by NUL bytes.
    let mut seeds = Seeds::new(&corpus, "cluster_reader");
    seeds.add("cluster-dump", cluster_dump.as_bytes());
    seeds.add(
        "netpol-analyzer",
        format!("{ns_list}\0{pods_list}\0{allow_all}").as_bytes(),
    );
    seeds.add(
        "workloads",
        format!("{WORKLOADS}\0{}", policies[0].1).as_bytes(),
    );

    // http_api: a request line, then the body.
    let mut seeds = Seeds::new(&corpus, "http_api");
    let json = |value: serde_json::Value| value.to_string();
    for (i, (name, text)) in policies.iter().enumerate().step_by(8) {
        let probe = json(serde_json::json!({
            "cluster": cluster_dump, "policies": text, "ports": ["80/TCP"],
        }));
        seeds.add(
            &format!("probe-{name}"),
            format!("POST /api/probe\n{probe}").as_bytes(),
        );
        let other = &policies[(i + 1) % policies.len()].1;
        let diff = json(serde_json::json!({
            "cluster": cluster_dump, "before": text, "after": other,
        }));
        seeds.add(
            &format!("diff-{name}"),
            format!("POST /api/diff\n{diff}").as_bytes(),
        );
    }
    let share = json(serde_json::json!({"yaml": policies[0].1, "title": "web deny all"}));
    seeds.add("share", format!("POST /api/shares\n{share}").as_bytes());
    seeds.add("share-id", b"GET /api/shares/aB3dE5gH7jK9mN1p");
    seeds.add("share-gist", b"GET /api/shares/0123456789abcdef0123");
    for (query, (name, text)) in [
        "",
        "?flavor=cilium&directions=egress",
        "?verdicts=FORWARDED,DROPPED&ipv4_prefix=24",
    ]
    .iter()
    .zip(&flows)
    {
        seeds.add(
            &format!("generate-{name}"),
            format!("POST /api/generate{query}\n{text}").as_bytes(),
        );
    }

    // generate_check: generation options, then the log.
    let mut seeds = Seeds::new(&corpus, "generate_check");
    for (i, (name, text)) in flows.iter().enumerate() {
        let mut input = vec![i as u8, 24, 64, 1 | (i as u8 & 6)];
        input.extend(text.as_bytes());
        seeds.add(name, &input);
    }
    Ok(())
}

/// Workload manifests (the `ClusterReader` turns each into one pod).
const WORKLOADS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: {app: debug}}}
";

/// Longest flow log taken whole; longer ones give their first lines.
const MAX_FLOW_BYTES: usize = 8 << 10;

fn read(repo: &Path, path: &str) -> std::io::Result<String> {
    fs::read_to_string(repo.join(path))
}

/// Every sample policy file, by a name made of its path.
fn policy_samples(repo: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for dir in [
        "policy-core/tests/data/cilium",
        "policy-core/tests/data/recipes",
        "policy-core/tests/data/flows/golden",
    ] {
        walk(&repo.join(dir), &mut files)?;
    }
    files.push(repo.join("playwright/fixtures/netpol-analyzer/acs_netpols.yaml"));
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
        .iter()
        .map(|p| Ok((name_of(repo, p), fs::read_to_string(p)?)))
        .collect()
}

/// The Hubble samples, cut to their first lines where long.
fn flow_samples(repo: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    walk(&repo.join("policy-core/tests/data/hubble"), &mut files)?;
    files.push(repo.join("policy-core/tests/data/flows/synthetic-mixed.jsonl"));
    files.retain(|p| {
        p.extension()
            .is_some_and(|e| e == "json" || e == "jsonl" || e == "log")
    });
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let text = fs::read_to_string(&p)?;
        let mut cut = String::new();
        for line in text.split_inclusive('\n') {
            if !cut.is_empty() && cut.len() + line.len() > MAX_FLOW_BYTES {
                break;
            }
            cut.push_str(line);
        }
        out.push((name_of(repo, &p), cut));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn name_of(repo: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(repo).unwrap_or(path);
    let name = relative.to_string_lossy().replace(['/', '.'], "_");
    name.trim_start_matches("policy-core_tests_data_")
        .to_owned()
}

/// Deterministic bytes (a linear congruential generator), so seeds are
/// reproducible.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

/// Writes one target's seeds.
struct Seeds {
    dir: PathBuf,
}

impl Seeds {
    fn new(corpus: &Path, target: &str) -> Seeds {
        let dir = corpus.join(target);
        fs::create_dir_all(&dir).expect("create the corpus directory");
        Seeds { dir }
    }

    fn add(&mut self, name: &str, data: &[u8]) {
        fs::write(self.dir.join(format!("seed-{name}")), data).expect("write a seed");
    }
}
