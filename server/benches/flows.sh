#!/usr/bin/env bash
# Whole-process bench of `palisade generate` on a large Hubble flow log,
# side by side with hubble-audit2policy (github.com/cilium/hubble-audit2policy,
# `pip install hubble-audit2policy`), for issue 14's target:
#
#   1M flows (about 1.5 GB of JSON lines) generate   >= 20x hubble-audit2policy, <= 64 MiB peak RSS
#
#   server/benches/flows.sh [FLOWS] [RUNS]
#
# FLOWS defaults to 1000000; the log is written by gen_flows.py (the
# repository's Hubble samples, perturbed) into $TMPDIR and reused. Each
# command runs RUNS times (default 1); the best wall time, the CPU time
# (user + system) of that run and the largest peak RSS are printed. On a
# shared machine the CPU time is the figure to compare: palisade reads with
# two threads, so its wall time is shorter than its CPU time when two cores
# are free. hubble-audit2policy is taken from $HUBBLE_AUDIT2POLICY, else from
# PATH; PALISADE_BIN names a palisade binary to use instead of building
# one. hubble-audit2policy runs with --no-enrich (no kubectl calls) and
# writes into a scratch directory.
set -euo pipefail

flows="${1:-1000000}"
runs="${2:-1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${TMPDIR:-/tmp}/palisade-flows-bench"
mkdir -p "$work"
if [ -n "${PALISADE_BIN:-}" ]; then
    bin="$PALISADE_BIN"
else
    (cd "$root" && cargo build --release -p server --bin palisade >&2)
    bin="$root/target/release/palisade"
fi
log="$work/flows-$flows.jsonl"
[ -s "$log" ] || python3 "$here/gen_flows.py" "$flows" "$log"
echo "$(basename "$log"): $(stat -c %s "$log") bytes, $(wc -l <"$log") records"

measure() {
    local name="$1"
    shift
    local best="" cpu="" peak=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
            { cat "$work/err" >&2; exit 1; }
        read -r wall user sys rss <"$work/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best="$wall"
            cpu=$(awk "BEGIN{print $user + $sys}")
        fi
        if [ "$rss" -gt "$peak" ]; then peak="$rss"; fi
    done
    printf '%-40s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MiB\n' \
        "$name" "$best" "$cpu" "$(awk "BEGIN{print $peak/1024}")"
    echo "$best $cpu" >"$work/last"
}

measure "palisade generate (2 threads)" "$bin" generate --flows "$log" --flavor cilium
read -r p_wall p_cpu <"$work/last"
measure "palisade generate (1 thread)" "$bin" generate --flows "$log" --flavor cilium --threads 1

h2p="${HUBBLE_AUDIT2POLICY:-$(command -v hubble-audit2policy || true)}"
if [ -z "$h2p" ]; then
    echo "hubble-audit2policy not found: pip install hubble-audit2policy, or set HUBBLE_AUDIT2POLICY" >&2
    exit 0
fi
rm -rf "$work/h2p" && mkdir -p "$work/h2p"
measure "hubble-audit2policy --no-enrich" "$h2p" "$log" --no-enrich -o "$work/h2p"
read -r h_wall h_cpu <"$work/last"
awk "BEGIN{printf \"ratio: wall %.1fx, cpu %.1fx\n\", $h_wall / $p_wall, $h_cpu / $p_cpu}"
