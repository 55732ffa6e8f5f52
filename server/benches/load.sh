#!/usr/bin/env bash
# Load test of `palisade serve` with wrk (apt-get install -y wrk).
#
#   server/benches/load.sh [DURATION_SECONDS] [CONNECTIONS] [WRK_THREADS] [RUNS]
#
# Builds the release binary, starts it on a free port with a fresh data dir,
# and measures:
#   1. POST /api/check with a typical 30-line policy (target: >= 20k req/s on
#      2 cores, p99 <= 10 ms), RUNS times (default 5), then the median: a
#      shared VM varies by 10-20% from run to run;
#   2. POST /api/export with the same policy;
#   3. POST /api/shares (SQLite, WAL + synchronous=FULL: every share is
#      fsynced before it is acknowledged; or PostgreSQL, see below);
#   4. GET /api/shares/{id} (reading one share back).
# Prints wrk's summary with latency percentiles for each.
#
# With PALISADE_DATABASE_URL=postgres://… in the environment the server keeps
# its shares in that PostgreSQL instead of SQLite (steps 3 and 4 then measure
# PostgreSQL). LOAD_SHARES_ONLY=1 skips steps 1 and 2.
set -euo pipefail

duration="${1:-10}"
connections="${2:-64}"
# wrk shares the 2 cores with the server; one wrk thread generates more than
# 30k req/s and leaves the server more of the machine than two.
threads="${3:-1}"
runs="${4:-5}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
policy="$here/data/policy-30.yaml"

command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
(cd "$root" && cargo build --release -p server --bin palisade >&2)
binary="$root/target/release/palisade"

data_dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
cleanup() {
  if [[ -n "${server_pid:-}" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data_dir" "$work"
}
trap cleanup EXIT

RUST_LOG=warn PALISADE_SHARE_RATE_PER_MINUTE=100000000 PALISADE_SHARE_BURST=100000000 \
  "$binary" serve --addr "127.0.0.1:$port" --data-dir "$data_dir" &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# wrk Lua scripts: the body is read once, sent on every request.
lua_string() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
cat >"$work/yaml.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/yaml"
wrk.body = $(lua_string "$policy")
LUA
python3 - "$policy" >"$work/share.json" <<'PY'
import json, sys
print(json.dumps({"yaml": open(sys.argv[1]).read(), "title": "load test"}))
PY
cat >"$work/share.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = $(lua_string "$work/share.json")
LUA

check_status="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/yaml' \
  --data-binary @"$policy" "http://127.0.0.1:$port/api/check")"
store="sqlite"
[[ -n "${PALISADE_DATABASE_URL:-}" ]] && store="postgres"
echo "== machine: $(nproc) cores; wrk -t$threads -c$connections -d${duration}s; release build; shares in $store"
if [[ -n "${LOAD_SHARES_ONLY:-}" ]]; then
  echo "== LOAD_SHARES_ONLY: /api/check and /api/export skipped"
elif [[ "$check_status" == 200 ]]; then
  echo "== POST /api/check (30-line policy), $runs runs"
  wrk -t"$threads" -c"$connections" -d2s -s "$work/yaml.lua" "http://127.0.0.1:$port/api/check" >/dev/null # warm-up
  rates=()
  for run in $(seq 1 "$runs"); do
    out="$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/yaml.lua" "http://127.0.0.1:$port/api/check")"
    rate="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)"
    echo "   run $run: $rate req/s, p99 $p99${errors:+ ($errors)}"
    rates+=("$rate")
  done
  median="$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  echo "   median: $median req/s"
else
  echo "== POST /api/check answered $check_status: skipped"
fi
if [[ -z "${LOAD_SHARES_ONLY:-}" ]]; then
  echo "== POST /api/export (30-line policy)"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/yaml.lua" "http://127.0.0.1:$port/api/export"
fi
if [[ "$store" == sqlite ]]; then
  echo "== POST /api/shares (SQLite, fsync per share)"
else
  echo "== POST /api/shares (PostgreSQL, synchronous_commit=on)"
fi
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/share.lua" "http://127.0.0.1:$port/api/shares"
echo "== shares stored: $(curl -s "http://127.0.0.1:$port/metrics" | grep "^palisade_shares_created_total{store=\"$store\"}")"
share_id="$(curl -fsS -X POST -H 'content-type: application/json' --data-binary @"$work/share.json" \
  "http://127.0.0.1:$port/api/shares" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
echo "== GET /api/shares/{id} ($store)"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port/api/shares/$share_id"
