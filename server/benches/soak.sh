#!/usr/bin/env bash
# Soak test of `palisade serve`: mixed traffic at 80% of the measured
# maximum, to loopback only, for a bounded time. Not part of CI.
#
#   server/benches/soak.sh [MINUTES] [CONNECTIONS]
#
# CONNECTIONS (default 32) measure the maximum; the soak opens as many as
# 80% of it needs at a 5 ms pace.
#
# 1. Builds the release binary and starts it on a free loopback port with a
#    fresh data dir (shares rate limit lifted).
# 2. Measures the maximum rate of the mix for 15 s (wrk, one thread).
# 3. Runs the mix paced to 80% of that rate for MINUTES (default 10), one
#    wrk run per minute, and prints for each minute: requests/s, errors
#    (socket errors and non-2xx answers), p99 latency, and the server's RSS.
# 4. Ends with the verdict: 0 errors, and RSS flat within 10% of the first
#    minute after warm-up (minute 2 onwards).
#
# The mix, per 20 requests: 12 POST /api/check (30-line policy), 4 POST
# /api/export, 2 POST /api/shares, 1 GET /healthz, 1 GET / (the page).
set -euo pipefail

minutes="${1:-10}"
connections="${2:-32}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
policy="$here/data/policy-30.yaml"

command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
(cd "$root" && cargo build --release -p server --bin palisade >&2)
binary="$(cd "$root" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/palisade"

data_dir="$(mktemp -d)"
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
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

python3 - "$policy" "$work/bodies.lua" <<'PY'
import json, sys
policy = open(sys.argv[1]).read()
share = json.dumps({"yaml": policy, "title": "soak"})
with open(sys.argv[2], "w") as out:
    out.write("policy = %s\nshare = %s\n" % (json.dumps(policy), json.dumps(share)))
PY

# The mix as a wrk script. `pace_ms` (0 while measuring) is the delay wrk
# waits before each request on a connection, which sets the rate.
write_script() {
  local pace_ms="$1"
  cat "$work/bodies.lua" >"$work/mix.lua"
  cat >>"$work/mix.lua" <<LUA
local n = 0
local mix = {}
for i = 1, 12 do mix[#mix + 1] = wrk.format("POST", "/api/check", {["Content-Type"] = "application/yaml"}, policy) end
for i = 1, 4 do mix[#mix + 1] = wrk.format("POST", "/api/export", {["Content-Type"] = "application/yaml"}, policy) end
for i = 1, 2 do mix[#mix + 1] = wrk.format("POST", "/api/shares", {["Content-Type"] = "application/json"}, share) end
mix[#mix + 1] = wrk.format("GET", "/healthz")
mix[#mix + 1] = wrk.format("GET", "/")
function request()
  n = n + 1
  return mix[(n % #mix) + 1]
end
function delay() return $pace_ms end
non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
LUA
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
url="http://127.0.0.1:$port"

write_script 0
max_out="$(wrk -t1 -c"$connections" -d15s --latency -s "$work/mix.lua" "$url")"
max_rate="$(awk '/^Requests\/sec/ {print $2}' <<<"$max_out")"
max_latency_ms="$(awk '$1 == "50%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$max_out")"
target="$(python3 -c "print(round($max_rate * 0.8))")"
# Each connection sends one request per (latency + pace), and wrk's pace is
# whole milliseconds: fix it at 5 ms and open as many connections as 80%
# of the maximum needs.
pace=5
soak_connections="$(python3 -c "print(max(1, round($target * ($pace + $max_latency_ms) / 1000)))")"
echo "== $(nproc) cores; maximum of the mix: $max_rate req/s (p50 ${max_latency_ms} ms); soak at 80%: ~$target req/s ($soak_connections connections, ${pace} ms pace), $minutes minutes"
write_script "$pace"

printf '%-7s %10s %8s %10s %10s\n' minute "req/s" errors p99 "RSS MiB"
first_rss=""
worst=0
total_errors=0
for minute in $(seq 1 "$minutes"); do
  out="$(wrk -t1 -c"$soak_connections" -d60s --latency -s "$work/mix.lua" "$url")"
  rate="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  socket_errors="$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  errors=$(( ${socket_errors:-0} + ${non2xx:-0} ))
  total_errors=$(( total_errors + errors ))
  rss="$(rss_kib)"
  printf '%-7s %10s %8s %10s %10.1f\n' "$minute" "$rate" "$errors" "$p99" "$(python3 -c "print($rss/1024)")"
  if [[ "$minute" -eq 2 ]]; then first_rss="$rss"; fi
  if [[ -n "$first_rss" ]]; then
    drift="$(python3 -c "print(round(abs($rss - $first_rss) * 100 / $first_rss, 1))")"
    worst="$(python3 -c "print(max($worst, $drift))")"
  fi
done

echo "== errors: $total_errors; RSS drift after warm-up: ${worst}% (target: 0 errors, <= 10%)"
if [[ "$total_errors" -ne 0 ]] || python3 -c "import sys; sys.exit(0 if $worst > 10 else 1)"; then
  echo "soak.sh: FAILED" >&2
  exit 1
fi
echo "soak.sh: passed"
