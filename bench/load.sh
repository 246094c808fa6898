#!/usr/bin/env bash
# Load benchmark of SidecarProxy against what a user would deploy instead, all on 127.0.0.1, bounded in time.
#
#   direct       the upstream itself (nginx `return 200`, plain HTTP): the latency floor, no TLS
#   nginx        nginx terminating mTLS (client certificate verified against the CA) and adding a static
#                Authorization header
#   nginx-authz  the same plus `auth_request` to a policy endpoint that costs nothing (a second nginx answering 204
#                at once): the external-authorization pattern (nginx/Envoy + ext_authz) with a free policy service.
#                Its proxy CPU counts the mTLS nginx only, not the policy endpoint
#   bare-yarp    YARP behind Kestrel mTLS and nothing else (bench/BareYarp): the floor of the stack we chose
#   sidecar      SidecarProxy (Release): embedded Rego engine with the shipped policy, a cached JWT credential,
#                audit to a file (every request: the run checks audit lines == requests answered)
#   sidecar-opa  SidecarProxy in `opa` mode against a stub OPA that answers {"result":{"allowed":true}} at once
#
# The load generator talks to each mTLS listener directly: wrk and h2load present the agent's client certificate
# through bench/clientcert-shim.c (LD_PRELOAD), so no TLS-originating forwarder shares the two cores.
# Loads: wrk at 32 and 256 connections (full load), wrk at about 2,000 requests/s with Poisson arrivals
# (bench/poisson.lua) for latency, and h2load over HTTP/2 (H2_CONNECTIONS connections x 10 streams); each
# DURATION long, REPS interleaved repetitions (every target once per load, then again). Figures: medians.
# CPU per request comes from /proc/PID/stat of the target's processes; RSS is read after each run, and once idle
# after start-up (before any request).
#
# Usage: bash bench/load.sh            (DURATION=10s REPS=3 by default; DURATION=3s REPS=1 WARMUP=5s: a smoke run)
#        CONFIGS="sidecar sidecar-alt" ALT_OF=sidecar ALT_ENV="DOTNET_gcServer=1" ALT_ARGS="..." bash bench/load.sh
#                                              A/B: a second copy of the sidecar with other settings, interleaved
#        CONFIGS="sidecar sidecar-alt" ALT_BIN=/tmp/old/proxy/SidecarProxy/bin/Release/net10.0 bash bench/load.sh
#                                              A/B of two builds (e.g. before and after a change), interleaved
#        PROFILE=1 REPS=0 bash bench/load.sh   CPU profile (perf, JIT symbols via perf maps) of each .NET target at 32
#                                              connections, split into pipeline stages (bench/profile-stages.py), and
#                                              runtime counters per request (dotnet-counters, bench/counters-summary.py)
# Needs: nginx (nginx-light), wrk, h2load (nghttp2-client), gcc and libssl-dev (for the shim), the .NET SDK;
# installed with apt-get when missing and running as root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
RATE=${RATE:-2000}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-20}
CONNECTIONS=${CONNECTIONS:-"32 256"}
LOADS=${LOADS:-"$CONNECTIONS rate"}   # which wrk loads to run: connection counts and/or "rate"
CONFIGS=${CONFIGS:-"direct nginx nginx-authz bare-yarp sidecar sidecar-opa"}
H2_CONNECTIONS=${H2_CONNECTIONS:-32}
H2_CONFIGS=${H2_CONFIGS:-"nginx bare-yarp sidecar"}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
BASE_PORT=${BASE_PORT:-18100}
WORK=$(mktemp -d /tmp/sidecar-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user and must reach their temp directories here
CLK_TCK=$(getconf CLK_TCK)
PROFILE=${PROFILE:-0}
ALT_OF=${ALT_OF:-sidecar}
ALT_ENV=${ALT_ENV:-}
ALT_ARGS=${ALT_ARGS:-}
ALT_BIN=${ALT_BIN:-}   # a directory with another build of SidecarProxy for sidecar-alt (e.g. the previous commit's)
WARMUP=${WARMUP:-45s}
QUIET_BUSY=${QUIET_BUSY:-15}   # before each run, wait until the whole machine is below this % busy...
QUIET_WAIT=${QUIET_WAIT:-30}   # ...for at most this many seconds (the wait is logged in quiet.log)

UPSTREAM_PORT=$((BASE_PORT + 0))
MTLS_PORT=$((BASE_PORT + 1))
STUB_PORT=$((BASE_PORT + 2))
SIDECAR_PORT=$((BASE_PORT + 3))
SIDECAR_OPS_PORT=$((BASE_PORT + 4))
SIDECAR_OPA_PORT=$((BASE_PORT + 5))
SIDECAR_OPA_OPS_PORT=$((BASE_PORT + 6))
SIDECAR_ALT_PORT=$((BASE_PORT + 7))
SIDECAR_ALT_OPS_PORT=$((BASE_PORT + 8))
BARE_PORT=$((BASE_PORT + 9))
AUTHZ_PORT=$((BASE_PORT + 10))
AUTHZ_MTLS_PORT=$((BASE_PORT + 11))
SHIM=$WORK/clientcert-shim.so
REQUEST_PATH=/tools/demo/hello

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for conf in "$WORK"/nginx-*.conf; do
    [ -f "$conf" ] && nginx -c "$conf" -p "$WORK" -s quit 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$WORK"
}
trap cleanup EXIT

need() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  command -v gcc >/dev/null || missing+=(gcc)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing ${missing[*]}"
      apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
    else
      echo "missing: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
      exit 1
    fi
  fi
  command -v dotnet >/dev/null || { echo "the .NET SDK is required" >&2; exit 1; }
}

wait_http() { # url [curl args...]: bounded wait (100 x 100 ms) until the URL answers
  local url=$1; shift
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
    sleep 0.1
  done
  echo "no answer from $url" >&2
  return 1
}

start_nginx() { # name config-body
  local name=$1 body=$2 conf="$WORK/nginx-$1.conf"
  cat >"$conf" <<EOF
worker_processes auto;
pid $WORK/nginx-$name.pid;
error_log $WORK/nginx-$name.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  default_type text/plain;
$body
}
EOF
  nginx -c "$conf" -p "$WORK" -e "$WORK/nginx-$name.error.log"
}

nginx_pids() { # name: master and workers
  local master
  master=$(cat "$WORK/nginx-$1.pid")
  echo "$master $(pgrep -P "$master" | tr '\n' ' ')"
}

cpu_ticks() { # pids...: utime+stime summed (fields 14 and 15 of /proc/PID/stat, after the comm field)
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# Private memory: anonymous pages plus the JIT's double-mapped code (shared memory), i.e. RSS without the file
# pages mapped from the .NET framework and the application's DLLs, which every process using the same files
# shares through the page cache.
private_kb() { awk '/^RssAnon|^RssShmem/ {n += $2} END {print n}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

to_us() { # wrk latency like 412.00us / 1.20ms / 1.01s -> microseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v + 0 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000000 }
    else print "NaN" }'
}

target_pids() { # config: the processes whose CPU counts as "the proxy" in that configuration
  case $1 in
    direct) echo "" ;;
    nginx) nginx_pids mtls ;;
    nginx-authz) nginx_pids authz-mtls ;;
    sidecar) echo "$SIDECAR_PID" ;;
    sidecar-opa) echo "$SIDECAR_OPA_PID" ;;
    sidecar-alt) echo "$SIDECAR_ALT_PID" ;;
    bare-yarp) echo "$BARE_PID" ;;
  esac
}

target_url() { # config: what the load generator asks for, straight at the target's listener
  case $1 in
    direct) echo "http://127.0.0.1:$UPSTREAM_PORT$REQUEST_PATH" ;;
    nginx) echo "https://127.0.0.1:$MTLS_PORT$REQUEST_PATH" ;;
    nginx-authz) echo "https://127.0.0.1:$AUTHZ_MTLS_PORT$REQUEST_PATH" ;;
    sidecar) echo "https://127.0.0.1:$SIDECAR_PORT$REQUEST_PATH" ;;
    sidecar-opa) echo "https://127.0.0.1:$SIDECAR_OPA_PORT$REQUEST_PATH" ;;
    sidecar-alt) echo "https://127.0.0.1:$SIDECAR_ALT_PORT$REQUEST_PATH" ;;
    bare-yarp) echo "https://127.0.0.1:$BARE_PORT$REQUEST_PATH" ;;
  esac
}

with_client_cert() { # command...: run a load generator that presents the agent's certificate (bench/clientcert-shim.c)
  BENCH_CLIENT_CERT=$CERTS/agent.pem BENCH_CLIENT_KEY=$CERTS/agent-key.pem LD_PRELOAD=$SHIM "$@"
}

dotnet_pid() { # config: the .NET process of a configuration, or nothing
  case $1 in
    sidecar) echo "$SIDECAR_PID" ;;
    sidecar-opa) echo "$SIDECAR_OPA_PID" ;;
    sidecar-alt) echo "$SIDECAR_ALT_PID" ;;
    bare-yarp) echo "$BARE_PID" ;;
  esac
}

busy_percent() { # the machine's non-idle CPU share over the next second, in percent
  local a b
  a=$(awk '/^cpu / {print $2 + $3 + $4 + $6 + $7 + $8, $5}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2 + $3 + $4 + $6 + $7 + $8, $5}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2];
    printf "%d", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}

wait_for_quiet() { # before each run: wait (at most QUIET_WAIT seconds) until the machine is below QUIET_BUSY % busy
  local waited=0 busy
  busy=$(busy_percent)
  while [ "$busy" -gt "$QUIET_BUSY" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
    waited=$((waited + 1))
    busy=$(busy_percent)
  done
  echo "$(date -u +%T) busy ${busy}% after ${waited} s" >>"$OUT/quiet.log"
}

measure() { # rep config load
  local rep=$1 config=$2 load=$3 url pids before after rps p50 p99 requests errors rss hwm private log
  wait_for_quiet
  url=$(target_url "$config")
  pids=$(target_pids "$config")
  log="$OUT/raw/$config-$load-$rep.txt"
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pids)
  if [ "$load" = rate ]; then
    # 1 ms less than connections / rate: wrk's timers fire on whole milliseconds, late rather than early, and each
    # request takes its own time before the next wait starts. The achieved rate is measured and reported.
    WRK_MEAN_DELAY_MS=$(awk -v c="$RATE_CONNECTIONS" -v r="$RATE" 'BEGIN {print c / r * 1000 - 1}') \
      with_client_cert wrk -t2 -c"$RATE_CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/bench/poisson.lua" "$url" >"$log" 2>&1
  elif [ "$load" = h2 ]; then
    # HTTP/2: H2_CONNECTIONS connections with 10 concurrent streams each. h2load reports no percentiles.
    with_client_cert h2load -t2 -c"$H2_CONNECTIONS" -m10 -D"${DURATION%s}" "$url" >"$log" 2>&1
  else
    with_client_cert wrk -t2 -c"$load" -d"$DURATION" --latency "$url" >"$log" 2>&1
  fi
  if [ "$load" = h2 ] && ! grep -q '^Application protocol: h2' "$log"; then
    echo "$config: h2load did not negotiate HTTP/2 (see $log)" >&2
    exit 1
  fi
  if [ "$load" = h2 ]; then
    rps=$(awk '/^finished in/ {gsub(",", ""); print $4}' "$log")
    p50=NaN; p99=NaN
    # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
    # "status codes: N 2xx, N 3xx, N 4xx, N 5xx"
    requests=$(awk '/^status codes:/ {print $3}' "$log")
    errors=$(awk '/^requests:/ {n += $11 + $13 + $15} /^status codes:/ {n += $7 + $9} END {print n + 0}' "$log")
  else
    rps=$(awk '/Requests\/sec:/ {print $2}' "$log")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$log")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$log")")
    requests=$(awk '/requests in/ {print $1}' "$log")
    errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$log")
  fi
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  rss=""; hwm=""; private=""
  local dpid
  dpid=$(dotnet_pid "$config")
  if [ -n "$dpid" ]; then rss=$(rss_kb "$dpid"); hwm=$(hwm_kb "$dpid"); private=$(private_kb "$dpid"); fi
  local cpu10k
  cpu10k=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 10000; else print "NaN" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$rep" "$config" "$load" "$rps" "$p50" "$p99" "$requests" "$errors" "$cpu10k" "$rss" "$hwm" "$(cut -d' ' -f1 /proc/loadavg)" "$private" \
    | tee -a "$OUT/raw.tsv"
}

summarize() {
  # Median per (config, load) over repetitions, then ratios to nginx-authz (the pattern users would deploy instead),
  # bare-yarp (our floor) and nginx (mTLS only). CPU is the target's own processes, in microseconds per request.
  awk -F'\t' -v rate="$RATE" -v h2c="$H2_CONNECTIONS" '
    function median(list,   n, arr, i, j, t) {
      n = split(list, arr, " ")
      if (n == 0) return 0
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
      return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
    }
    function ratio(x, y) { return (y > 0 && x > 0) ? sprintf("%.2f", x / y) : "-" }
    NR > 1 {
      k = $2 SUBSEP $3
      rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; err[k] += $8
      cpu[k] = cpu[k] " " $9; if ($10 != "") rss[k] = rss[k] " " $10; if ($13 != "") priv[k] = priv[k] " " $13
      if (!(($2) in seen)) { seen[$2] = 1; order[++nc] = $2 }
      if (!(($3) in seenl)) { seenl[$3] = 1; lorder[++nl] = $3 }
    }
    END {
      for (li = 1; li <= nl; li++) {
        l = lorder[li]
        title = l == "rate" ? "about " rate "/s, Poisson arrivals (wrk + poisson.lua)" : l == "h2" ? "HTTP/2, " h2c " connections x 10 streams (h2load)" : l " connections (wrk)"
        printf "\n### load: %s\n\n", title
        print "| config | req/s | x nginx-authz | x bare-yarp | x nginx | p50 us | p99 us | errors | proxy CPU us/req | CPU x bare-yarp | CPU x nginx-authz | RSS MiB | private MiB |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        z = "nginx-authz" SUBSEP l; y = "bare-yarp" SUBSEP l; n = "nginx" SUBSEP l
        rz = (z in rps) ? median(rps[z]) : 0; ry = (y in rps) ? median(rps[y]) : 0; rn = (n in rps) ? median(rps[n]) : 0
        cz = (z in cpu) ? median(cpu[z]) * 100 : 0; cy = (y in cpu) ? median(cpu[y]) * 100 : 0
        for (ci = 1; ci <= nc; ci++) {
          c = order[ci]; k = c SUBSEP l
          if (!(k in rps)) continue
          r = median(rps[k]); u = median(cpu[k]) * 100
          mem = (k in rss) ? sprintf("%.0f", median(rss[k]) / 1024) : "-"
          pmem = (k in priv) ? sprintf("%.0f", median(priv[k]) / 1024) : "-"
          printf "| %s | %.0f | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |\n", c, r, ratio(r, rz), ratio(r, ry), ratio(r, rn),
            (l == "h2" ? "-" : sprintf("%.0f", median(p50[k]))), (l == "h2" ? "-" : sprintf("%.0f", median(p99[k]))), err[k],
            (c == "direct" ? "-" : sprintf("%.1f", u)), (c == "direct" ? "-" : ratio(u, cy)), (c == "direct" ? "-" : ratio(u, cz)), mem, pmem
        }
      }
    }' "$OUT/raw.tsv"
}

audit_check() { # config ops-port: every request the sidecar answered has its audit line
  local config=$1 port=$2 answered lines
  sleep 1 # the writer drains its queue within milliseconds; give it a moment after the last response
  # The audit trail has a line per request of a known agent: requests refused for want of a valid SVID
  # (svid_* denials: no identity to audit) are left out of the count.
  answered=$(curl -s "http://127.0.0.1:$port/metrics" \
    | awk '/^sidecar_requests_total/ {n += $NF} /^sidecar_denials_total\{reason="svid_/ {n -= $NF} END {printf "%d", n}')
  lines=$(wc -l <"$WORK/audit-$config.jsonl")
  printf 'audit %s: %s requests of known agents answered, %s audit lines\n' "$config" "$answered" "$lines" | tee -a "$OUT/audit-check.txt"
}

profile() { # perf profile (and dotnet-counters, when installed) of each .NET target while wrk drives it at 32 connections
  command -v perf >/dev/null || { echo "perf not installed (apt-get install -y linux-perf)" >&2; return 0; }
  DOTNET_COUNTERS=$(command -v dotnet-counters || { [ -x "$HOME/.dotnet/tools/dotnet-counters" ] && echo "$HOME/.dotnet/tools/dotnet-counters"; } || true)
  [ -n "$DOTNET_COUNTERS" ] || echo "dotnet-counters not installed (dotnet tool install -g dotnet-counters): no runtime counters" >&2
  local config pid
  for config in $CONFIGS; do
    case $config in direct|nginx) continue ;; esac
    pid=$(target_pids "$config")
    echo "== profile $config (pid $pid)"
    with_client_cert wrk -t2 -c32 -d12s "$(target_url "$config")" >"$OUT/profile-$config-wrk.txt" 2>&1 &
    local load=$!
    sleep 2
    local counters=""
    if [ -n "$DOTNET_COUNTERS" ]; then
      "$DOTNET_COUNTERS" collect -p "$pid" --counters System.Runtime --refresh-interval 1 --format csv \
        -o "$OUT/counters-$config.csv" --duration 00:00:08 >/dev/null 2>&1 &
      counters=$!
    fi
    perf record -F 999 -g -p "$pid" -o "$WORK/perf-$config.data" -- sleep 8 >/dev/null 2>&1 || true
    wait "$load"
    if [ -n "$counters" ]; then
      wait "$counters" || true
      python3 "$ROOT/bench/counters-summary.py" "$OUT/counters-$config.csv" \
        "$(awk '/Requests\/sec:/ {print $2}' "$OUT/profile-$config-wrk.txt")" | tee "$OUT/profile-$config-counters.txt" || true
    fi
    perf report -i "$WORK/perf-$config.data" --no-children --sort symbol --stdio 2>/dev/null \
      | grep -v '^#' | grep '%' | head -60 >"$OUT/profile-$config-self.txt" || true
    perf report -i "$WORK/perf-$config.data" --children --sort symbol --stdio -g none 2>/dev/null \
      | grep -v "^#" | grep "%" | head -400 >"$OUT/profile-$config-inclusive.txt" || true
    perf report -i "$WORK/perf-$config.data" --no-children --sort dso --stdio -g none 2>/dev/null \
      | grep -v '^#' | grep '%' | head -20 >"$OUT/profile-$config-dso.txt" || true
    perf script -i "$WORK/perf-$config.data" 2>/dev/null | python3 "$ROOT/bench/profile-stages.py" \
      | tee "$OUT/profile-$config-stages.txt" || true
  done
}

main() {
  need
  mkdir -p "$OUT/raw"

  echo "== machine"
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "duration: $DURATION, repetitions: $REPS, connections: $CONNECTIONS, fixed rate: $RATE/s over $RATE_CONNECTIONS connections"
  } | tee "$OUT/machine.txt"

  echo "== build (Release)"
  dotnet build "$ROOT/proxy/SidecarProxy/SidecarProxy.csproj" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  dotnet build "$ROOT/bench/BareYarp/BareYarp.csproj" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  local bin="$ROOT/proxy/SidecarProxy/bin/Release/net10.0"
  local certs="$WORK/certs"
  CERTS=$certs

  echo "== certificates (SidecarProxy dev-certs)"
  "$bin/SidecarProxy" dev-certs --out "$WORK/certs" >/dev/null

  echo "== client-certificate shim for wrk and h2load"
  gcc -O2 -shared -fPIC -o "$SHIM" "$ROOT/bench/clientcert-shim.c" -ldl -lssl -lcrypto

  echo "== upstream, stub OPA, free policy endpoint, nginx mTLS terminators"
  start_nginx upstream "  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'ok\n'; } }"
  start_nginx stub "  server { listen 127.0.0.1:$STUB_PORT; default_type application/json; location / { return 200 '{\"result\":{\"allowed\":true}}'; } }"
  start_nginx authz "  server { listen 127.0.0.1:$AUTHZ_PORT; location / { return 204; } }"
  # TLS 1.3 like Kestrel (nginx 1.22 offers only up to 1.2 unless told).
  local mtls="
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $certs/sidecar.pem;
    ssl_certificate_key $certs/sidecar-key.pem;
    ssl_client_certificate $certs/ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;"
  local to_tool="
      proxy_pass http://tool/;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_set_header Authorization 'Bearer static-benchmark-token';"
  start_nginx mtls "
  upstream tool { server 127.0.0.1:$UPSTREAM_PORT; keepalive 512; }
  server {
    listen 127.0.0.1:$MTLS_PORT ssl http2;$mtls
    location /tools/demo/ {$to_tool
    }
  }"
  # The ext_authz pattern: every request first asks the policy service (identity from the verified certificate,
  # method and URI), which answers 2xx to allow. The policy service here costs nothing, so this is the pattern's floor.
  start_nginx authz-mtls "
  upstream tool { server 127.0.0.1:$UPSTREAM_PORT; keepalive 512; }
  upstream policy { server 127.0.0.1:$AUTHZ_PORT; keepalive 512; }
  server {
    listen 127.0.0.1:$AUTHZ_MTLS_PORT ssl http2;$mtls
    location /tools/demo/ {
      auth_request /_authz;$to_tool
    }
    location = /_authz {
      internal;
      proxy_pass http://policy/v1/data/sidecar/authz;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_pass_request_body off;
      proxy_set_header Content-Length '';
      proxy_set_header X-Client-Subject \$ssl_client_s_dn;
      proxy_set_header X-Client-Certificate-Serial \$ssl_client_serial;
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
    }
  }"

  echo "== sidecars (embedded, opa)"
  local common=(
    --Logging:Console:FormatterName=simple
    "--Sidecar:Identity:ServerCertificate=$certs/sidecar.pem"
    "--Sidecar:Identity:ServerKey=$certs/sidecar-key.pem"
    "--Sidecar:Identity:TrustBundles:sidecar.dev=$certs/ca.pem"
    "--Sidecar:Policy:Directory=$ROOT/policies"
    --ReverseProxy:Routes:demo:ClusterId=demo
    "--ReverseProxy:Routes:demo:Match:Path=/tools/demo/{**rest}"
    --ReverseProxy:Routes:demo:Metadata:Tool=demo
    --ReverseProxy:Routes:demo:Metadata:Credential=demo-jwt
    --Sidecar:Credentials:demo-jwt:Kind=jwt
    --ReverseProxy:Routes:demo:Transforms:0:PathRemovePrefix=/tools/demo
    "--ReverseProxy:Clusters:demo:Destinations:d1:Address=http://127.0.0.1:$UPSTREAM_PORT/"
  )
  # Perf maps name JIT-compiled methods; W^X double mapping would hide them behind memfd:doublemapper.
  if [ "$PROFILE" = 1 ]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
  ASPNETCORE_ENVIRONMENT=Production "$bin/SidecarProxy" "${common[@]}" \
    "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$SIDECAR_OPS_PORT" \
    "--Sidecar:Audit:Path=$WORK/audit-sidecar.jsonl" \
    >"$OUT/sidecar.log" 2>&1 &
  SIDECAR_PID=$!
  PIDS+=("$SIDECAR_PID")
  ASPNETCORE_ENVIRONMENT=Production "$bin/SidecarProxy" "${common[@]}" \
    --Sidecar:Policy:Engine=opa "--Sidecar:Policy:OpaUrl=http://127.0.0.1:$STUB_PORT" \
    "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_OPA_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$SIDECAR_OPA_OPS_PORT" \
    "--Sidecar:Audit:Path=$WORK/audit-sidecar-opa.jsonl" \
    >"$OUT/sidecar-opa.log" 2>&1 &
  SIDECAR_OPA_PID=$!
  PIDS+=("$SIDECAR_OPA_PID")
  if [[ " $CONFIGS " == *" sidecar-alt "* ]]; then
    local alt_engine=()
    [ "$ALT_OF" = sidecar-opa ] && alt_engine=(--Sidecar:Policy:Engine=opa "--Sidecar:Policy:OpaUrl=http://127.0.0.1:$STUB_PORT")
    # shellcheck disable=SC2086
    env ASPNETCORE_ENVIRONMENT=Production $ALT_ENV "${ALT_BIN:-$bin}/SidecarProxy" "${common[@]}" "${alt_engine[@]}" \
      "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_ALT_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$SIDECAR_ALT_OPS_PORT" \
      "--Sidecar:Audit:Path=$WORK/audit-sidecar-alt.jsonl" $ALT_ARGS \
      >"$OUT/sidecar-alt.log" 2>&1 &
    SIDECAR_ALT_PID=$!
    PIDS+=("$SIDECAR_ALT_PID")
    wait_http "http://127.0.0.1:$SIDECAR_ALT_OPS_PORT/readyz"
    echo "sidecar-alt: a copy of $ALT_OF with env '$ALT_ENV' and args '$ALT_ARGS'${ALT_BIN:+, built in $ALT_BIN}" | tee -a "$OUT/machine.txt"
  fi
  "$ROOT/bench/BareYarp/bin/Release/net10.0/BareYarp" --listen "127.0.0.1:$BARE_PORT" \
    --cert "$certs/sidecar.pem" --key "$certs/sidecar-key.pem" --ca "$certs/ca.pem" \
    --upstream "http://127.0.0.1:$UPSTREAM_PORT/" >"$OUT/bare-yarp.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  wait_http "http://127.0.0.1:$SIDECAR_OPS_PORT/readyz"
  wait_http "http://127.0.0.1:$SIDECAR_OPA_OPS_PORT/readyz"
  wait_http "https://127.0.0.1:$BARE_PORT/tools/demo/" -k --cert "$certs/agent.pem" --key "$certs/agent-key.pem"

  echo "== correctness: every target answers 200 to the agent; the sidecar refuses a POST (shipped policy)"
  local config code
  for config in $CONFIGS; do
    if [ "$config" = direct ]; then
      code=$(curl -s -o "$WORK/check.txt" -w '%{http_code}' "$(target_url direct)")
    else
      code=$(curl -s -o "$WORK/check.txt" -w '%{http_code}' --cacert "$certs/ca.pem" --cert "$certs/agent.pem" --key "$certs/agent-key.pem" "$(target_url "$config")")
    fi
    [ "$code" = 200 ] || { echo "$config answered $code: $(cat "$WORK/check.txt")" >&2; exit 1; }
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --cacert "$certs/ca.pem" --cert "$certs/agent.pem" --key "$certs/agent-key.pem" "$(target_url sidecar)")
  [ "$code" = 403 ] || { echo "sidecar: POST answered $code, expected 403 from the shipped policy" >&2; exit 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$certs/ca.pem" "$(target_url sidecar)" || true)
  [ "$code" != 200 ] || { echo "sidecar: answered 200 without a client certificate" >&2; exit 1; }

  echo "== RSS and private memory idle after start-up (no request yet apart from the checks above), MiB"
  sleep 5
  for config in $CONFIGS; do
    local dpid
    dpid=$(dotnet_pid "$config")
    [ -n "$dpid" ] && printf '%s\t%s\t%s\n' "$config" "$(awk -v k="$(rss_kb "$dpid")" 'BEGIN {printf "%.0f", k / 1024}')" \
      "$(awk -v k="$(private_kb "$dpid")" 'BEGIN {printf "%.0f", k / 1024}')"
  done | tee "$OUT/idle-rss.tsv"

  echo "== warm-up (JIT tiering, connection pools): $WARMUP per target, not recorded"
  for config in $CONFIGS; do
    with_client_cert wrk -t2 -c64 -d"$WARMUP" "$(target_url "$config")" >/dev/null 2>&1
  done

  if [ "$PROFILE" = 1 ]; then profile; fi

  echo "== runs"
  printf 'rep\tconfig\tload\trps\tp50_us\tp99_us\trequests\terrors\tcpu_s_per_10k\trss_kb\thwm_kb\tloadavg1\tprivate_kb\n' >"$OUT/raw.tsv"
  local rep load
  for rep in $(seq 1 "$REPS"); do
    for config in $CONFIGS; do
      for load in $LOADS; do
        measure "$rep" "$config" "$load"
      done
      if [[ " $H2_CONFIGS " == *" $config "* ]]; then measure "$rep" "$config" h2; fi
    done
  done

  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
  curl -s "http://127.0.0.1:$SIDECAR_OPS_PORT/metrics" >"$OUT/sidecar-metrics.txt" || true
  audit_check sidecar "$SIDECAR_OPS_PORT"
  audit_check sidecar-opa "$SIDECAR_OPA_OPS_PORT"
  [[ " $CONFIGS " == *" sidecar-alt "* ]] && audit_check sidecar-alt "$SIDECAR_ALT_OPS_PORT"

  echo "== summary (median of $REPS)"
  summarize | tee "$OUT/summary.md"
  echo "results in $OUT"
}

main "$@"
