//! `palisade generate`: least-privilege policies from Hubble flow logs.
//!
//! ```text
//! palisade generate --flows FILE... [--flavor kubernetes|cilium] [--namespace NS]...
//!                   [--direction ingress|egress|both] [--verdicts FORWARDED,DROPPED,AUDIT]
//!                   [-o DIR|-]
//! palisade generate --hubble-relay HOST:PORT [--since DURATION] [--follow-for DURATION]
//!                   [--tls …] [--namespace NS]... …
//! ```
//!
//! Prints multi-document YAML on stdout (or writes one file per policy into
//! DIR), a summary and the first problems (`file:line: …`) on stderr. Files
//! are streamed in chunks, with a progress bar when stderr is a terminal and
//! the input is large.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use policy_core::flows::{
    AggregateOptions, Aggregates, Aggregator, Flavor, FlowReader, GenerateOptions,
    PolicyDirections, ReadReport, ReaderOptions, Verdict, generate, parse_verdicts, to_yaml,
};

/// Input sizes from which a progress bar is shown.
const PROGRESS_MIN_BYTES: u64 = 16 << 20;
/// File sizes from which several threads read one file (`--threads`).
const PARALLEL_MIN_BYTES: u64 = 32 << 20;
/// Problems printed per input file.
const PROBLEMS_SHOWN: usize = 10;

/// Policy language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FlavorArg {
    /// networking.k8s.io/v1 NetworkPolicy.
    Kubernetes,
    /// cilium.io/v2 CiliumNetworkPolicy.
    Cilium,
}

/// Which policies to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectionArg {
    /// One ingress policy per destination workload.
    Ingress,
    /// One egress policy per source workload.
    Egress,
    /// Both.
    Both,
}

/// Options for reading flow files, shared with `palisade replay`.
#[derive(Clone, Debug, clap::Args)]
pub struct FlowInputArgs {
    /// Threads reading one large file (each reads a part, split on a record
    /// boundary, and the aggregations are merged); 1 reads on this thread.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,
    /// Bad records tolerated per file before giving up.
    #[arg(long, default_value_t = 1000)]
    pub max_errors: u64,
    /// Longest record (line) read, in bytes; longer ones are skipped and reported.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_record_bytes: usize,
}

/// `palisade generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Hubble output (`hubble observe -o json`, bare flows, or JSON arrays); `-` for stdin.
    #[arg(long = "flows", value_name = "FILE", required_unless_present = "hubble_relay", conflicts_with = "hubble_relay", num_args = 1..)]
    pub flows: Vec<PathBuf>,
    #[command(flatten)]
    pub live: super::live::LiveFlowArgs,
    /// Policy language.
    #[arg(long, value_enum, default_value = "kubernetes")]
    pub flavor: FlavorArg,
    /// Only generate policies for workloads in this namespace (repeatable;
    /// default all). With --hubble-relay too, every flow is read: some flows
    /// are placed by addresses learned from others.
    #[arg(long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Ingress policies, egress policies, or both.
    #[arg(long, value_enum, default_value = "both")]
    pub direction: DirectionArg,
    /// Write one file per policy into DIR, or `-` for stdout (the default).
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR|-",
        default_value = "-"
    )]
    pub output_dir: String,
    /// Observed verdicts to allow, comma-separated: FORWARDED (also covers
    /// REDIRECTED), DROPPED, AUDIT. With DROPPED the policies allow what was dropped.
    #[arg(long, value_name = "LIST", default_value = "FORWARDED", value_parser = verdict_list)]
    pub verdicts: VerdictList,
    /// Widen external IPv4 addresses to this prefix length.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u8).range(0..=32))]
    pub ipv4_prefix: u8,
    /// Widen external IPv6 addresses to this prefix length.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u8).range(0..=128))]
    pub ipv6_prefix: u8,
    #[command(flatten)]
    pub input: FlowInputArgs,
}

/// The `--verdicts` list.
#[derive(Clone, Debug)]
pub struct VerdictList(pub Vec<Verdict>);

/// clap parser for `--verdicts` (policy-core reads the list).
fn verdict_list(text: &str) -> Result<VerdictList, String> {
    parse_verdicts(text).map(VerdictList)
}

/// Runs `palisade generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let aggregates = match super::live::read_if_requested(&args.live, &args.input)? {
        Some(live) => live,
        None => match read_flow_files(&args.flows, &args.input)? {
            Some(a) => a,
            None => return Ok(ExitCode::from(2)),
        },
    };
    let options = GenerateOptions {
        flavor: match args.flavor {
            FlavorArg::Kubernetes => Flavor::Kubernetes,
            FlavorArg::Cilium => Flavor::Cilium,
        },
        directions: match args.direction {
            DirectionArg::Ingress => PolicyDirections::Ingress,
            DirectionArg::Egress => PolicyDirections::Egress,
            DirectionArg::Both => PolicyDirections::Both,
        },
        namespaces: args.namespaces.clone(),
        ipv4_prefix: args.ipv4_prefix,
        ipv6_prefix: args.ipv6_prefix,
        verdicts: args.verdicts.0.clone(),
    };
    let generated = generate(&aggregates, &options);
    for w in &generated.warnings {
        eprintln!("palisade: warning: {w}");
    }
    if args.output_dir == "-" {
        let yaml = emit_in_parallel(&generated.policies, usize::from(args.input.threads));
        let mut out = std::io::stdout().lock();
        out.write_all(yaml.as_bytes())
            .context("writing to stdout")?;
        out.flush().context("writing to stdout")?;
    } else {
        let dir = Path::new(&args.output_dir);
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create directory", dir.display()))?;
        for p in &generated.policies {
            let name = format!("{}-{}.yaml", p.namespace().unwrap_or("cluster"), p.name());
            let path = dir.join(name);
            std::fs::write(&path, to_yaml(std::slice::from_ref(p)))
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    eprintln!(
        "palisade: {} flows, {} distinct ({} used, {} replies or verdicts not asked for{}); {} {} generated{}",
        aggregates.total_flows,
        aggregates.flows.len(),
        generated.used_tuples,
        generated.ignored_tuples,
        if generated.unselectable_tuples > 0 {
            format!(
                ", {} between endpoints no policy here selects: host, health, world, or outside the namespaces and directions asked for",
                generated.unselectable_tuples
            )
        } else {
            String::new()
        },
        generated.policies.len(),
        if generated.policies.len() == 1 {
            "policy"
        } else {
            "policies"
        },
        if args.output_dir == "-" {
            String::new()
        } else {
            format!(" in {}", args.output_dir)
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// [`to_yaml`] of the policies, its two halves written on two threads when
/// there are many (documents are independent; the stream joins them with
/// `---`).
fn emit_in_parallel(policies: &[policy_core::model::Policy], threads: usize) -> String {
    if threads < 2 || policies.len() < 64 {
        return to_yaml(policies);
    }
    let (first, second) = policies.split_at(policies.len() / 2);
    let (mut head, tail) = std::thread::scope(|scope| {
        let tail = scope.spawn(|| to_yaml(second));
        let head = to_yaml(first);
        let tail = tail.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (head, tail)
    });
    head.push_str("---\n");
    head.push_str(&tail);
    head
}

/// Reads and aggregates flow files, printing per-file summaries and problems
/// to stderr. `Ok(None)` when a file could not be read (already reported).
pub(crate) fn read_flow_files(
    files: &[PathBuf],
    input: &FlowInputArgs,
) -> anyhow::Result<Option<Aggregates>> {
    let mut aggregator = Aggregator::new(AggregateOptions::default());
    let opts = ReaderOptions {
        max_errors: input.max_errors,
        max_record_bytes: input.max_record_bytes,
        ..ReaderOptions::default()
    };
    for path in files {
        let shown = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let (reader, size): (Box<dyn Read>, Option<u64>) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin().lock()), None)
        } else {
            match File::open(path) {
                Ok(f) => {
                    let size = f.metadata().ok().map(|m| m.len());
                    (Box::new(f), size)
                }
                Err(e) => {
                    eprintln!("palisade: {shown}: {e}");
                    return Ok(None);
                }
            }
        };
        let parallel = match size {
            Some(size) if input.threads > 1 && size >= PARALLEL_MIN_BYTES => {
                read_parallel(path, size, usize::from(input.threads), &opts)
            }
            _ => Ok(None),
        };
        let result = match parallel {
            Ok(Some((part, report))) if aggregator.merges_exactly(&part) => {
                aggregator.merge(part, 0);
                Ok(report)
            }
            Ok(_) => read_one(reader, size, &opts, &mut aggregator),
            Err(e) => Err(e),
        };
        match result {
            Ok(report) => print_report(&shown, &report),
            Err(e) => {
                eprintln!("palisade: {shown}: {e}");
                return Ok(None);
            }
        }
    }
    let aggregates = aggregator.finish();
    print_aggregate_problems(&aggregates);
    Ok(Some(aggregates))
}

/// Prints the aggregation's first problems and its overflow to stderr.
pub(crate) fn print_aggregate_problems(aggregates: &Aggregates) {
    for p in aggregates.problems.iter().take(PROBLEMS_SHOWN) {
        eprintln!("palisade: {p}");
    }
    if aggregates.over_limit > 0 {
        eprintln!(
            "palisade: warning: {} flows not aggregated: the distinct-flow limit was reached",
            aggregates.over_limit
        );
    }
}

/// A progress bar for reading `size` bytes, when stderr is a terminal and
/// the input is large.
fn progress_bar(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    size.filter(|s| *s >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal())
        .map(|s| {
            let bar = indicatif::ProgressBar::new(s);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        })
}

/// Where a part of a file that starts near `from` begins: just after the
/// first line break followed by `{` (a JSON-lines record, or a top-level
/// object of concatenated JSON; a raw line break cannot be inside a JSON
/// string). `None` when none is found in the next `window` bytes.
fn record_boundary(file: &mut File, from: u64, window: usize) -> std::io::Result<Option<u64>> {
    file.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::with_capacity(window.min(1 << 20));
    file.take(window as u64).read_to_end(&mut buf)?;
    Ok(buf
        .windows(2)
        .position(|w| w == b"\n{")
        .map(|i| from + i as u64 + 1))
}

/// Reads a large file with `threads` threads, each aggregating one part
/// split on record boundaries, then merges the parts. `Ok(None)` when the
/// file cannot be split (a JSON array, or no boundary found): read it on
/// one thread. The report counts lines and problems as one read would.
fn read_parallel(
    path: &Path,
    size: u64,
    threads: usize,
    opts: &ReaderOptions,
) -> anyhow::Result<Option<(Aggregator, ReadReport)>> {
    let mut file = File::open(path)?;
    let mut head = [0u8; 4096];
    let n = file.read(&mut head)?;
    if head[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|b| *b != b'{')
    {
        return Ok(None);
    }
    let window = opts.max_record_bytes.saturating_mul(2).max(1 << 20);
    let mut cuts = vec![0u64];
    for i in 1..threads as u64 {
        let from = size / threads as u64 * i;
        match record_boundary(&mut file, from.max(*cuts.last().unwrap_or(&0)), window)? {
            Some(cut) if cut < size && cut > *cuts.last().unwrap_or(&0) => cuts.push(cut),
            _ => {}
        }
    }
    if cuts.len() < 2 {
        return Ok(None);
    }
    cuts.push(size);
    let bar = progress_bar(Some(size));
    let parts: Vec<anyhow::Result<(Aggregator, ReadReport)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let bar = bar.clone();
                scope.spawn(move || -> anyhow::Result<(Aggregator, ReadReport)> {
                    let mut file = File::open(path)?;
                    file.seek(SeekFrom::Start(start))?;
                    let mut aggregator = Aggregator::new(AggregateOptions::default());
                    let report = read_stream(
                        Box::new(file.take(end - start)),
                        bar.as_ref(),
                        opts,
                        &mut aggregator,
                    )?;
                    Ok((aggregator, report))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread panicked")))
            })
            .collect()
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut total: Option<(Aggregator, ReadReport)> = None;
    for part in parts {
        let (aggregator, report) = part?;
        match &mut total {
            None => total = Some((aggregator, report)),
            Some((all, all_report)) => {
                // Past a limit, which flows a merge keeps would depend on
                // the split: read on one thread for the sequential result.
                if !all.merges_exactly(&aggregator) {
                    return Ok(None);
                }
                let offset = all_report.lines;
                all.merge(aggregator, offset);
                merge_reports(all_report, report, offset, opts);
            }
        }
    }
    Ok(total)
}

/// Adds the report of a later part (whose lines start after `offset`).
fn merge_reports(all: &mut ReadReport, part: ReadReport, offset: u64, opts: &ReaderOptions) {
    all.bytes += part.bytes;
    all.lines += part.lines;
    all.flows += part.flows;
    all.skipped_events += part.skipped_events;
    all.errors += part.errors;
    all.warnings += part.warnings;
    for mut p in part.problems {
        if all.problems.len() >= opts.max_reported {
            break;
        }
        p.line += offset;
        all.problems.push(p);
    }
}

fn read_one(
    reader: Box<dyn Read>,
    size: Option<u64>,
    opts: &ReaderOptions,
    aggregator: &mut Aggregator,
) -> anyhow::Result<ReadReport> {
    let progress = progress_bar(size);
    let report = read_stream(reader, progress.as_ref(), opts, aggregator)?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    Ok(report)
}

/// Streams `reader` through a [`FlowReader`] into `aggregator`.
fn read_stream(
    reader: Box<dyn Read + '_>,
    progress: Option<&indicatif::ProgressBar>,
    opts: &ReaderOptions,
    aggregator: &mut Aggregator,
) -> anyhow::Result<ReadReport> {
    let mut input = BufReader::with_capacity(1 << 20, reader);
    let mut flow_reader = FlowReader::new(opts.clone());
    let mut on_flow = |ev: &policy_core::flows::FlowEvent<'_>| aggregator.add(ev);
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        flow_reader.feed(chunk, &mut on_flow)?;
        input.consume(n);
        if let Some(bar) = progress {
            bar.inc(n as u64);
        }
    }
    Ok(flow_reader.finish(&mut on_flow)?)
}

/// Prints a read report (problems by line, counts) to stderr.
pub(crate) fn print_report(file: &str, report: &ReadReport) {
    for p in report.problems.iter().take(PROBLEMS_SHOWN) {
        eprintln!("palisade: {file}:{p}");
    }
    let problems = report.errors + report.warnings;
    if problems > PROBLEMS_SHOWN.min(report.problems.len()) as u64 {
        eprintln!(
            "palisade: {file}: {} more problems not shown",
            problems - PROBLEMS_SHOWN.min(report.problems.len()) as u64
        );
    }
    eprintln!(
        "palisade: {file}: {} flows read, {} other events skipped, {} bad records, {} warnings",
        report.flows, report.skipped_events, report.errors, report.warnings
    );
}

#[cfg(test)]
mod tests {
    use policy_core::yaml::parse_documents;

    use super::*;

    #[test]
    fn emitting_in_parallel_is_emitting() {
        let text: String = (0..101)
            .map(|i| {
                format!(
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{i}, namespace: n{}}}\nspec: {{podSelector: {{matchLabels: {{app: a{i}}}}}, policyTypes: [Ingress]}}\n---\n",
                    i % 7
                )
            })
            .collect();
        let policies: Vec<_> = parse_documents(&text).policies().cloned().collect();
        assert_eq!(policies.len(), 101);
        for n in [0, 1, 63, 64, 65, 101] {
            let some = &policies[..n];
            assert_eq!(emit_in_parallel(some, 2), to_yaml(some), "{n}");
        }
    }
}
