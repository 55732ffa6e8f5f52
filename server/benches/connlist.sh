#!/usr/bin/env bash
# Whole-process bench of `palisade probe` connection sets on generated
# clusters (server/benches/gen_cluster.py), measured with /usr/bin/time:
# wall time, peak RSS and output size, for the targets of issue 14:
#
#   1,000 pods / 50 ns / 300 policies, --output connlist            <= 0.37 s, <= 150 MB
#   5,000 pods / 100 ns / 1,000 policies, connlist --group-by workload <= 2 s,  <= 400 MB
#   the same, --output json (compact)                                memory flat in pairs
#
#   server/benches/connlist.sh [RUNS]
#
# Builds the release binary first (PALISADE_BIN names one to use instead).
# Each case runs RUNS times (default 3);
# the best wall time, the CPU time (user + system) of that run and the
# largest peak RSS are printed (a shared VM adds noise, never speed; on a
# loaded machine the CPU time is the figure to compare).
#
# The generated pods of one ReplicaSet have addresses in different /24s
# that the policies' ipBlock exceptions tell apart, so by default (ipBlock
# matches pod IPs, as upstream Kubernetes asserts) workloads split into
# many classes; with --ipblock-excludes-pods (netpol-analyzer's and
# Cilium's reading) they do not. Both are measured.
set -euo pipefail

runs="${1:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${TMPDIR:-/tmp}/palisade-connlist-bench"
if [ -n "${PALISADE_BIN:-}" ]; then
    bin="$PALISADE_BIN"
else
    (cd "$root" && cargo build --release -p server --bin palisade >&2)
    bin="$root/target/release/palisade"
fi

python3 "$here/gen_cluster.py" 1000 50 300 "$work/small"
python3 "$here/gen_cluster.py" 5000 100 1000 "$work/large"

measure() {
    local name="$1"
    shift
    local best="" cpu="" peak=0 bytes=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" "$@" >"$work/out" 2>"$work/err" ||
            { cat "$work/err" >&2; exit 1; }
        read -r wall user sys rss <"$work/time"
        bytes=$(stat -c %s "$work/out")
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best="$wall"
            cpu=$(awk "BEGIN{print $user + $sys}")
        fi
        if [ "$rss" -gt "$peak" ]; then peak="$rss"; fi
    done
    printf '%-62s wall %6.2f s  cpu %6.2f s  peak RSS %6.1f MB  output %8.1f MB  lines %s\n' \
        "$name" "$best" "$cpu" "$(awk "BEGIN{print $peak/1024}")" \
        "$(awk "BEGIN{print $bytes/1048576}")" "$(wc -l <"$work/out")"
}

measure "1k pods/50 ns/300 policies connlist (pods)" \
    probe --cluster "$work/small/cluster.json" --policies "$work/small/policies.json" \
    --output connlist --group-by pod
measure "1k pods/50 ns/300 policies connlist (default: workloads)" \
    probe --cluster "$work/small/cluster.json" --policies "$work/small/policies.json" \
    --output connlist
measure "5k pods/100 ns/1k policies connlist --group-by workload" \
    probe --cluster "$work/large/cluster.json" --policies "$work/large/policies.json" \
    --output connlist --group-by workload
measure "5k pods/100 ns/1k policies connlist workload, ipblock-excludes-pods" \
    probe --cluster "$work/large/cluster.json" --policies "$work/large/policies.json" \
    --output connlist --group-by workload --ipblock-excludes-pods
measure "5k pods/100 ns/1k policies json workload, ipblock-excludes-pods" \
    probe --cluster "$work/large/cluster.json" --policies "$work/large/policies.json" \
    --output json --group-by workload --ipblock-excludes-pods
measure "5k pods/100 ns/1k policies json (compact, workloads)" \
    probe --cluster "$work/large/cluster.json" --policies "$work/large/policies.json" \
    --output json --group-by workload
measure "5k pods/100 ns/1k policies json (compact, pods)" \
    probe --cluster "$work/large/cluster.json" --policies "$work/large/policies.json" \
    --output json --group-by pod
measure "1k pods/50 ns/300 policies json (compact, pods)" \
    probe --cluster "$work/small/cluster.json" --policies "$work/small/policies.json" \
    --output json --group-by pod
