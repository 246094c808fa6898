#!/usr/bin/env bash
# Server certificate and trust bundle rotated every ROTATE_EVERY seconds while load runs (issue 16):
# zero failed requests, and every new TLS handshake after a rotation sees the new certificate.
#
#   bash bench/rotation.sh                 (DURATION=60 s, ROTATE_EVERY=3 s)
#
# Identity comes from files (Sidecar:Identity:ServerCertificate/ServerKey/TrustBundles), as a SPIRE helper or
# cert-manager would write them: each rotation writes a new server certificate, its key and a new trust bundle
# (the agent's CA plus the new CA) to temporary names and renames them into place. Two loads run at once:
#   - keep-alive: wrk, 16 connections opened before the first rotation and kept (their handshakes are old)
#   - new handshakes: wrk with `Connection: close`, 8 connections, so every request is a new TLS handshake
# After each rotation (and the reload debounce) the script handshakes once with openssl and checks the server
# certificate it is given is the one just written.
# Needs: wrk, openssl, gcc + libssl-dev (client-certificate shim), nginx (the upstream), the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-60}
ROTATE_EVERY=${ROTATE_EVERY:-3}
PORT=${PORT:-18400}
OUT=${OUT:-$ROOT/bench/results/rotation-$(date -u +%Y%m%dT%H%M%SZ)}
WORK=$(mktemp -d /tmp/sidecar-rotation.XXXXXX)
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

# Material: set 0 is the agent's trust domain; sets 1..N are the server certificates rotated through (each from
# its own CA, so a stale handshake would show a different issuer).
ROTATIONS=$((DURATION / ROTATE_EVERY))
for i in $(seq 0 "$ROTATIONS"); do "$BIN" dev-certs --out "$WORK/set$i" >/dev/null 2>&1; done
LIVE=$WORK/live
mkdir -p "$LIVE"
install_set() { # i: server certificate and key of set i, bundle = agent's CA + CA i; renamed into place
  cp "$WORK/set$1/sidecar.pem" "$LIVE/.sidecar.pem.tmp"
  cp "$WORK/set$1/sidecar-key.pem" "$LIVE/.sidecar-key.pem.tmp"
  cat "$WORK/set0/ca.pem" "$WORK/set$1/ca.pem" >"$LIVE/.bundle.pem.tmp"
  mv "$LIVE/.sidecar-key.pem.tmp" "$LIVE/sidecar-key.pem"
  mv "$LIVE/.sidecar.pem.tmp" "$LIVE/sidecar.pem"
  mv "$LIVE/.bundle.pem.tmp" "$LIVE/bundle.pem"
}
install_set 1

cat >"$WORK/upstream.conf" <<C
worker_processes 1; pid $WORK/upstream.pid; error_log $WORK/upstream.err warn; events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$((PORT + 2)); location / { return 200 'ok\n'; } } }
C
nginx -c "$WORK/upstream.conf" -p "$WORK"

ASPNETCORE_ENVIRONMENT=Production "$BIN" --Logging:Console:FormatterName=simple \
  "--Sidecar:Identity:ServerCertificate=$LIVE/sidecar.pem" "--Sidecar:Identity:ServerKey=$LIVE/sidecar-key.pem" \
  "--Sidecar:Identity:TrustBundles:sidecar.dev=$LIVE/bundle.pem" "--Sidecar:Policy:Directory=$ROOT/policies" \
  "--Sidecar:Listen=https://127.0.0.1:$PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$((PORT + 1))" \
  "--Sidecar:Audit:Path=$WORK/audit.jsonl" \
  --ReverseProxy:Routes:demo:ClusterId=demo "--ReverseProxy:Routes:demo:Match:Path=/tools/demo/{**rest}" \
  --ReverseProxy:Routes:demo:Metadata:Tool=demo --ReverseProxy:Routes:demo:Metadata:Credential=demo-jwt \
  --Sidecar:Credentials:demo-jwt:Kind=jwt --ReverseProxy:Routes:demo:Transforms:0:PathRemovePrefix=/tools/demo \
  "--ReverseProxy:Clusters:demo:Destinations:d1:Address=http://127.0.0.1:$((PORT + 2))/" >"$OUT/sidecar.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/readyz" && break; sleep 0.1; done

URL=https://127.0.0.1:$PORT/tools/demo/hello
load() { BENCH_CLIENT_CERT=$WORK/set0/agent.pem BENCH_CLIENT_KEY=$WORK/set0/agent-key.pem LD_PRELOAD=$WORK/shim.so "$@"; }
load wrk -t1 -c16 -d"$((DURATION + 2))s" "$URL" >"$OUT/wrk-keepalive.txt" 2>&1 &
KEEPALIVE=$!
load wrk -t1 -c8 -d"$((DURATION + 2))s" -H "Connection: close" "$URL" >"$OUT/wrk-new-handshakes.txt" 2>&1 &
NEW=$!
fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1" | cut -d= -f2; }
served() {
  # A whole request on the probe's connection, so the handshake completes on both sides before it closes.
  printf 'GET /tools/demo/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' \
    | openssl s_client -ign_eof -connect "127.0.0.1:$PORT" -cert "$WORK/set0/agent.pem" -key "$WORK/set0/agent-key.pem" 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}

stale=0
printf 'rotation\tat\tserved_is_new\n' >"$OUT/rotations.tsv"
for i in $(seq 2 "$ROTATIONS"); do
  sleep "$ROTATE_EVERY"
  install_set "$i"
  sleep 1 # reload debounce (250 ms) and the reload itself
  if [ "$(served)" = "$(fingerprint "$WORK/set$i/sidecar.pem")" ]; then ok=yes; else ok=no; stale=$((stale + 1)); fi
  printf '%s\t%s\t%s\n' "$i" "$(date -u +%T.%3N)" "$ok" | tee -a "$OUT/rotations.tsv"
done
wait "$KEEPALIVE" "$NEW"

requests() { awk '/requests in/ {print $1}' "$1"; }
failures() { awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$1"; }
curl -s "http://127.0.0.1:$((PORT + 1))/metrics" >"$OUT/metrics.txt"
{
  echo "rotations: $((ROTATIONS - 1)) (every ${ROTATE_EVERY} s for ${DURATION} s); handshakes after a rotation that got the old certificate: $stale"
  echo "keep-alive load: $(requests "$OUT/wrk-keepalive.txt") requests, $(failures "$OUT/wrk-keepalive.txt") failed"
  echo "new-handshake load: $(requests "$OUT/wrk-new-handshakes.txt") requests, $(failures "$OUT/wrk-new-handshakes.txt") failed"
  echo "identity reload failures: $(awk '/^sidecar_identity_reload_failures_total/ {n += $NF} END {print n + 0}' "$OUT/metrics.txt")"
  echo "TLS handshake failures counted by the sidecar: $(awk '/^sidecar_tls_handshake_failures_total/ {n += $NF} END {print n + 0}' "$OUT/metrics.txt")"
  sleep 1
  echo "audit lines: $(wc -l <"$WORK/audit.jsonl"), requests answered: $(awk '/^sidecar_requests_total/ {n += $NF} END {print n + 0}' "$OUT/metrics.txt")"
} | tee "$OUT/summary.txt"
