#!/usr/bin/env bash
# 10,000 idle keep-alive agent connections (issue 16): memory per connection, and the sidecar keeps serving.
#
#   bash bench/idle-connections.sh        (CONNECTIONS=10000)
#
# Opens CONNECTIONS mTLS connections (a real handshake with the agent's certificate and one request each, from
# bench/idle-connections.py), holds them idle, and meanwhile runs a 10 s wrk load on 32 other connections. Reports
# the sidecar's resident memory before and with the idle connections (per connection), the load's rate and
# failures, and whether sampled idle connections still answer afterwards. Kestrel's keep-alive timeout is raised
# to 10 minutes for the run (the default, 2 minutes, would close them while the test holds them).
# Needs: wrk, nginx, python3, gcc + libssl-dev (client-certificate shim), the .NET SDK; run as root or with a high
# enough `ulimit -n`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CONNECTIONS=${CONNECTIONS:-10000}
PORT=${PORT:-18600}
OUT=${OUT:-$ROOT/bench/results/idle-$(date -u +%Y%m%dT%H%M%SZ)}
WORK=$(mktemp -d /tmp/sidecar-idle.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$OUT"
# Each side (the python client, the sidecar) holds CONNECTIONS descriptors; ask for that plus headroom, up to the
# hard limit an unprivileged shell may raise to.
WANT=$((CONNECTIONS + 1000)); HARD=$(ulimit -Hn)
[ "$HARD" != unlimited ] && [ "$WANT" -gt "$HARD" ] && { echo "ulimit -Hn is $HARD: lower CONNECTIONS or raise the hard limit" >&2; exit 1; }
ulimit -n "$WANT"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/upstream.pid" ] && kill "$(cat "$WORK/upstream.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

dotnet build "$ROOT/proxy/SidecarProxy/SidecarProxy.csproj" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
BIN=$ROOT/proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy
gcc -O2 -shared -fPIC -o "$WORK/shim.so" "$ROOT/bench/clientcert-shim.c" -ldl -lssl -lcrypto
"$BIN" dev-certs --out "$WORK/certs" >/dev/null 2>&1
cat >"$WORK/upstream.conf" <<C
worker_processes 1; pid $WORK/upstream.pid; error_log $WORK/upstream.err warn; events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$((PORT + 2)); location / { return 200 'ok\n'; } } }
C
nginx -c "$WORK/upstream.conf" -p "$WORK"
C=$WORK/certs
ASPNETCORE_ENVIRONMENT=Production "$BIN" --Logging:Console:FormatterName=simple \
  "--Sidecar:Identity:ServerCertificate=$C/sidecar.pem" "--Sidecar:Identity:ServerKey=$C/sidecar-key.pem" \
  "--Sidecar:Identity:TrustBundles:sidecar.dev=$C/ca.pem" "--Sidecar:Policy:Directory=$ROOT/policies" \
  "--Sidecar:Listen=https://127.0.0.1:$PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$((PORT + 1))" \
  "--Sidecar:Audit:Path=$WORK/audit.jsonl" --Sidecar:Limits:KeepAliveTimeout=00:10:00 \
  --ReverseProxy:Routes:demo:ClusterId=demo "--ReverseProxy:Routes:demo:Match:Path=/tools/demo/{**rest}" \
  --ReverseProxy:Routes:demo:Metadata:Tool=demo --ReverseProxy:Routes:demo:Metadata:Credential=demo-jwt \
  --Sidecar:Credentials:demo-jwt:Kind=jwt --ReverseProxy:Routes:demo:Transforms:0:PathRemovePrefix=/tools/demo \
  "--ReverseProxy:Clusters:demo:Destinations:d1:Address=http://127.0.0.1:$((PORT + 2))/" >"$OUT/sidecar.log" 2>&1 &
SIDECAR=$!
PIDS+=("$SIDECAR")
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/readyz" && break; sleep 0.1; done
URL=https://127.0.0.1:$PORT/tools/demo/hello
load() { BENCH_CLIENT_CERT=$C/agent.pem BENCH_CLIENT_KEY=$C/agent-key.pem LD_PRELOAD=$WORK/shim.so "$@"; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SIDECAR/status"; }

load wrk -t2 -c32 -d10s "$URL" >"$OUT/wrk-before.txt" 2>&1   # warm, and the baseline rate
sleep 2
before=$(rss)
python3 "$ROOT/bench/idle-connections.py" 127.0.0.1 "$PORT" "$C/ca.pem" "$C/agent.pem" "$C/agent-key.pem" \
  "$CONNECTIONS" /tools/demo/hello "$WORK/ready" 60 >"$OUT/idle.txt" 2>&1 &
HOLDER=$!
for _ in $(seq 1 600); do [ -s "$WORK/ready" ] && break; sleep 0.5; done
[ -s "$WORK/ready" ] || { echo "the idle connections were not all opened in 5 minutes" >&2; exit 1; }
sleep 5
with=$(rss)
established=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
load wrk -t2 -c32 -d10s "$URL" >"$OUT/wrk-during.txt" 2>&1
wait "$HOLDER"
rate() { awk '/Requests\/sec:/ {print $2}' "$1"; }
failed() { awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$1"; }
read -r opened open_failures open_seconds <"$WORK/ready"
{
  echo "idle connections: $opened opened ($open_failures failed) in $open_seconds s; established at the sidecar's port: $established"
  echo "RSS: $before MiB before, $with MiB with them: $(awk -v a="$before" -v b="$with" -v n="$opened" 'BEGIN {printf "%.1f KiB", (b - a) * 1024 / n}') per idle connection"
  echo "load on 32 other connections: $(rate "$OUT/wrk-before.txt") req/s before ($(failed "$OUT/wrk-before.txt") failed), $(rate "$OUT/wrk-during.txt") req/s with the idle connections open ($(failed "$OUT/wrk-during.txt") failed)"
  cat "$OUT/idle.txt"
} | tee "$OUT/summary.txt"
