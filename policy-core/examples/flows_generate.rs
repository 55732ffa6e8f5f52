//! Prints generated policies for a Hubble file: `cargo run --example flows_generate -- FILE [cilium]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("read");
    let (agg, report) =
        policy_core::flows::aggregate_bytes(&bytes, Default::default(), Default::default())
            .expect("aggregate");
    eprintln!("{report:?}");
    let flavor = if args.get(2).map(String::as_str) == Some("cilium") {
        policy_core::flows::Flavor::Cilium
    } else {
        policy_core::flows::Flavor::Kubernetes
    };
    let g = policy_core::flows::generate(
        &agg,
        &policy_core::flows::GenerateOptions {
            flavor,
            ..Default::default()
        },
    );
    for w in &g.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", policy_core::flows::to_yaml(&g.policies));
}
