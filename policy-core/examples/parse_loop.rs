//! Times the stages of `check` on the 30-line policy, and loops for
//! profilers (`perf record target/release/examples/parse_loop 20000`).
use std::time::Instant;

fn main() {
    let text = include_str!("../benches/data/policy-30.yaml");
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let t = Instant::now();
    for _ in 0..n {
        let mut p = saphyr_parser::Parser::new_from_str(std::hint::black_box(text));
        let mut k = 0;
        while let Some(Ok(ev)) = p.next_event() {
            k += 1;
            std::hint::black_box(ev);
        }
        std::hint::black_box(k);
    }
    let events = t.elapsed() / n as u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy_core::yaml::reader::read_documents(
            std::hint::black_box(text),
        ));
    }
    let read = t.elapsed() / n as u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy_core::yaml::reader::read_documents_general(
            std::hint::black_box(text),
        ));
    }
    let general = t.elapsed() / n as u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy_core::yaml::parse_documents(std::hint::black_box(
            text,
        )));
    }
    let parse = t.elapsed() / n as u32;
    let out = policy_core::yaml::parse_documents(text);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(policy_core::check::check_parsed(text, &out, None));
    }
    let check = t.elapsed() / n as u32;
    println!(
        "saphyr events {events:?}, read_documents_general {general:?}, read_documents (fast path) {read:?}, parse_documents {parse:?}, check_parsed {check:?}"
    );
}
