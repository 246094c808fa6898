#!/usr/bin/env bash
# Soak: the full sidecar (shipped policy, a JWT credential, audit to a file) at about RATE requests/s for
# DURATION seconds (default 600 s at 1,000/s), sampling every 10 s: resident memory, GC heap, open handles and
# threads. Writes samples.tsv, a plot (soak.svg) and the slope of each series over the run after the first minute.
#
#   bash bench/soak.sh            (DURATION=600 RATE=1000)
# Needs: wrk, nginx, gcc + libssl-dev (client-certificate shim), python3, the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-600}
RATE=${RATE:-1000}
CONNECTIONS=${CONNECTIONS:-10}
PORT=${PORT:-18500}
OUT=${OUT:-$ROOT/bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}
WORK=$(mktemp -d /tmp/sidecar-soak.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$OUT"
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
  "--Sidecar:Audit:Path=$WORK/audit.jsonl" \
  --ReverseProxy:Routes:demo:ClusterId=demo "--ReverseProxy:Routes:demo:Match:Path=/tools/demo/{**rest}" \
  --ReverseProxy:Routes:demo:Metadata:Tool=demo --ReverseProxy:Routes:demo:Metadata:Credential=demo-jwt \
  --Sidecar:Credentials:demo-jwt:Kind=jwt --ReverseProxy:Routes:demo:Transforms:0:PathRemovePrefix=/tools/demo \
  "--ReverseProxy:Clusters:demo:Destinations:d1:Address=http://127.0.0.1:$((PORT + 2))/" >"$OUT/sidecar.log" 2>&1 &
SIDECAR=$!
PIDS+=("$SIDECAR")
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/readyz" && break; sleep 0.1; done

WRK_MEAN_DELAY_MS=$(awk -v c="$CONNECTIONS" -v r="$RATE" 'BEGIN {print c / r * 1000 - 1}') \
  BENCH_CLIENT_CERT=$C/agent.pem BENCH_CLIENT_KEY=$C/agent-key.pem LD_PRELOAD=$WORK/shim.so \
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/poisson.lua" "https://127.0.0.1:$PORT/tools/demo/hello" \
  >"$OUT/wrk.txt" 2>&1 &
LOAD=$!
metric() { awk -v m="$1" '$1 == m {print $2}' "$WORK/metrics.txt"; }
printf 't_s\trss_mib\tgc_heap_mib\thandles\tthreads\trequests\n' >"$OUT/samples.tsv"
start=$(date +%s)
while kill -0 "$LOAD" 2>/dev/null; do
  curl -s "http://127.0.0.1:$((PORT + 1))/metrics" >"$WORK/metrics.txt" || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(($(date +%s) - start))" \
    "$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SIDECAR/status")" \
    "$(metric dotnet_total_memory_bytes | awk '{printf "%.1f", $1 / 1048576}')" \
    "$(ls "/proc/$SIDECAR/fd" | wc -l)" \
    "$(awk '/^Threads/ {print $2}' "/proc/$SIDECAR/status")" \
    "$(awk '/^sidecar_requests_total/ {n += $NF} END {printf "%d", n}' "$WORK/metrics.txt")" >>"$OUT/samples.tsv"
  sleep 10
done
wait "$LOAD" || true
sleep 1
curl -s "http://127.0.0.1:$((PORT + 1))/metrics" >"$WORK/metrics.txt"
{
  echo "requests: $(awk '/requests in/ {print $1}' "$OUT/wrk.txt"), rate $(awk '/Requests\/sec:/ {print $2}' "$OUT/wrk.txt")/s, failed: $(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$OUT/wrk.txt")"
  echo "latency p50 $(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt"), p99 $(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")"
  echo "audit lines: $(wc -l <"$WORK/audit.jsonl"), requests answered: $(awk '/^sidecar_requests_total/ {n += $NF} END {printf "%d", n}' "$WORK/metrics.txt")"
  python3 "$ROOT/bench/soak-plot.py" "$OUT/samples.tsv" "$OUT/soak.svg"
} | tee "$OUT/summary.txt"
