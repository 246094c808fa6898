#!/usr/bin/env bash
# Where the sidecar allocates per request: the sidecar (Release, embedded engine with the shipped policy, a cached
# JWT credential, audit to a file) under wrk at 32 connections, traced with dotnet-trace for the runtime's GC
# allocation ticks (type + stack, one per ~100 KB), read by bench/AllocReport per request, by type and by the
# sidecar's allocating method. Allocation counts do not depend on how busy the machine is, so this works where a
# timing would not.
#
# Usage: bash bench/alloc-probe.sh                 (WARMUP=20s TRACE=10s TOP=30)
#        SIDECAR_BIN=/path/to/bin/Release/net10.0 bash bench/alloc-probe.sh   another build (e.g. before a change)
# Needs: nginx, wrk, gcc + libssl-dev (the client-certificate shim), dotnet-trace (installed as a global tool when
# missing). Everything binds 127.0.0.1 on BASE_PORT.. BASE_PORT+2.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WARMUP=${WARMUP:-20s}
TRACE=${TRACE:-10}
TOP=${TOP:-30}
BASE_PORT=${BASE_PORT:-18400}
WORK=$(mktemp -d /tmp/sidecar-alloc.XXXXXX)
chmod 755 "$WORK"
UPSTREAM_PORT=$BASE_PORT
SIDECAR_PORT=$((BASE_PORT + 1))
OPS_PORT=$((BASE_PORT + 2))
SIDECAR_PID=""

cleanup() {
  [ -n "$SIDECAR_PID" ] && kill "$SIDECAR_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.conf" ] && nginx -c "$WORK/nginx.conf" -p "$WORK" -s quit 2>/dev/null || true
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in nginx wrk gcc; do command -v "$tool" >/dev/null || { echo "missing: $tool (see bench/load.sh)" >&2; exit 1; }; done
TRACER=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
[ -x "$TRACER" ] || dotnet tool install -g dotnet-trace >/dev/null

echo "== build (Release)"
dotnet build "$ROOT/proxy/SidecarProxy/SidecarProxy.csproj" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
dotnet build "$ROOT/bench/AllocReport/AllocReport.csproj" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
bin=${SIDECAR_BIN:-$ROOT/proxy/SidecarProxy/bin/Release/net10.0}
"$ROOT/proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy" dev-certs --out "$WORK/certs" >/dev/null
gcc -O2 -shared -fPIC -o "$WORK/shim.so" "$ROOT/bench/clientcert-shim.c" -ldl -lssl -lcrypto

cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'ok\n'; } } }
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"

echo "== sidecar ($bin)"
ASPNETCORE_ENVIRONMENT=Production "$bin/SidecarProxy" --Logging:Console:FormatterName=simple \
  "--Sidecar:Identity:ServerCertificate=$WORK/certs/sidecar.pem" "--Sidecar:Identity:ServerKey=$WORK/certs/sidecar-key.pem" \
  "--Sidecar:Identity:TrustBundles:sidecar.dev=$WORK/certs/ca.pem" "--Sidecar:Policy:Directory=$ROOT/policies" \
  --ReverseProxy:Routes:demo:ClusterId=demo "--ReverseProxy:Routes:demo:Match:Path=/tools/demo/{**rest}" \
  --ReverseProxy:Routes:demo:Metadata:Tool=demo --ReverseProxy:Routes:demo:Metadata:Credential=demo-jwt \
  --Sidecar:Credentials:demo-jwt:Kind=jwt --ReverseProxy:Routes:demo:Transforms:0:PathRemovePrefix=/tools/demo \
  "--ReverseProxy:Clusters:demo:Destinations:d1:Address=http://127.0.0.1:$UPSTREAM_PORT/" \
  "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$OPS_PORT" \
  "--Sidecar:Audit:Path=$WORK/audit.jsonl" >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$OPS_PORT/readyz" && break; sleep 0.2; done

load() { BENCH_CLIENT_CERT=$WORK/certs/agent.pem BENCH_CLIENT_KEY=$WORK/certs/agent-key.pem LD_PRELOAD=$WORK/shim.so \
  wrk -t1 -c32 -d"$1" "https://127.0.0.1:$SIDECAR_PORT/tools/demo/hello"; }

echo "== warm-up $WARMUP"
load "$WARMUP" >/dev/null
echo "== trace ${TRACE}s under load"
# Requests during the trace = audit lines written meanwhile (one per request; the load is the only client).
before=$(wc -l <"$WORK/audit.jsonl")
"$TRACER" collect -p "$SIDECAR_PID" --providers Microsoft-Windows-DotNETRuntime:0x1:5 \
  --duration "00:00:00:$((TRACE + 2))" -o "$WORK/alloc.nettrace" >/dev/null 2>&1 &
tracer=$!
sleep 1
load "${TRACE}s" | grep -E "requests in|Non-2xx" || true
wait "$tracer" || true
sleep 1
requests=$(( $(wc -l <"$WORK/audit.jsonl") - before ))
report="$ROOT/bench/AllocReport/bin/Release/net10.0/AllocReport.dll"
echo "== by type"
dotnet "$report" "$WORK/alloc.nettrace" "$requests" types "$TOP"
echo "== by the sidecar's allocating method"
dotnet "$report" "$WORK/alloc.nettrace" "$requests" methods "$TOP"
