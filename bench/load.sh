#!/usr/bin/env bash
# Load benchmark of SidecarProxy against the plain alternatives, all on 127.0.0.1, bounded in time.
#
#   (a) direct    the upstream itself (nginx `return 200`)
#   (b) nginx     nginx terminating mTLS (client certificate verified against the CA) and adding a static
#                 Authorization header: the plain peer a user could pick instead of the sidecar
#   (c) sidecar   SidecarProxy (Release), embedded Rego engine, the shipped policy (demo agent, GET on tool demo)
#   (d) sidecar-opa  SidecarProxy in `opa` mode against a stub OPA that answers {"result":{"allowed":true}} at once
#   (e) bare-yarp YARP behind Kestrel mTLS and nothing else (bench/BareYarp): the floor for any YARP-based proxy
#
# wrk cannot present a client certificate, so every request goes
#   load client --HTTP/1.1 keep-alive--> forwarder (nginx, proxy_ssl_certificate = agent SVID, upstream keepalive)
#               --> target
# and the forwarder is the same for all four targets (for (a) it talks plain HTTP to the upstream).
# Loads: wrk at 32 and 256 connections (full load), and wrk at about 2,000 requests/s with Poisson arrivals
# (bench/poisson.lua: 20 connections, exponential think time) for latency; each DURATION long, REPS interleaved
# repetitions (a b c d e, a b c d e, ...). Figures: median over repetitions.
#
# Usage: bash bench/load.sh            (DURATION=10s REPS=3 by default; DURATION=3s REPS=1 for a smoke run)
#        CONFIGS="sidecar sidecar-alt" ALT_OF=sidecar ALT_ENV="DOTNET_gcServer=0" ALT_ARGS="..." bash bench/load.sh
#                                              A/B: a second copy of (c) or (d) with other settings, interleaved
#        PROFILE=1 REPS=0 bash bench/load.sh   CPU profile (perf, JIT symbols via perf maps) of each .NET target at 32
#                                              connections, split into pipeline stages (bench/profile-stages.py), and
#                                              runtime counters per request (dotnet-counters, bench/counters-summary.py),
#                                              instead of (or, with REPS>0, before) the runs
# Needs: nginx (nginx-light), wrk, the .NET SDK; installed with apt-get when missing and running as root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
RATE=${RATE:-2000}
RATE_CONNECTIONS=${RATE_CONNECTIONS:-20}
CONNECTIONS=${CONNECTIONS:-"32 256"}
CONFIGS=${CONFIGS:-"direct nginx bare-yarp sidecar sidecar-opa"}
OUT=${OUT:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
BASE_PORT=${BASE_PORT:-18100}
WORK=$(mktemp -d /tmp/sidecar-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers run as an unprivileged user and must reach their temp directories here
CLK_TCK=$(getconf CLK_TCK)
PROFILE=${PROFILE:-0}
ALT_OF=${ALT_OF:-sidecar}
ALT_ENV=${ALT_ENV:-}
ALT_ARGS=${ALT_ARGS:-}
WARMUP=${WARMUP:-45s}

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
FWD_PORT_BASE=$((BASE_PORT + 10))   # +0 direct, +1 nginx, +2 sidecar, +3 sidecar-opa, +4 sidecar-alt, +5 bare-yarp
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
    sidecar) echo "$SIDECAR_PID" ;;
    sidecar-opa) echo "$SIDECAR_OPA_PID" ;;
    sidecar-alt) echo "$SIDECAR_ALT_PID" ;;
    bare-yarp) echo "$BARE_PID" ;;
  esac
}

forwarder_port() {
  case $1 in
    direct) echo $((FWD_PORT_BASE + 0)) ;;
    nginx) echo $((FWD_PORT_BASE + 1)) ;;
    sidecar) echo $((FWD_PORT_BASE + 2)) ;;
    sidecar-opa) echo $((FWD_PORT_BASE + 3)) ;;
    sidecar-alt) echo $((FWD_PORT_BASE + 4)) ;;
    bare-yarp) echo $((FWD_PORT_BASE + 5)) ;;
  esac
}

measure() { # rep config load
  local rep=$1 config=$2 load=$3 url pids before after rps p50 p99 requests errors rss hwm log
  url="http://127.0.0.1:$(forwarder_port "$config")$REQUEST_PATH"
  pids=$(target_pids "$config")
  log="$OUT/raw/$config-$load-$rep.txt"
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pids)
  if [ "$load" = rate ]; then
    # 1 ms less than connections / rate: wrk's timers fire on whole milliseconds, late rather than early, and each
    # request takes its own time before the next wait starts. The achieved rate is measured and reported.
    WRK_MEAN_DELAY_MS=$(awk -v c="$RATE_CONNECTIONS" -v r="$RATE" 'BEGIN {print c / r * 1000 - 1}') \
      wrk -t2 -c"$RATE_CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/bench/poisson.lua" "$url" >"$log"
  else
    wrk -t2 -c"$load" -d"$DURATION" --latency "$url" >"$log"
  fi
  rps=$(awk '/Requests\/sec:/ {print $2}' "$log")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$log")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$log")")
  requests=$(awk '/requests in/ {print $1}' "$log")
  errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$log")
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  rss=""; hwm=""
  case $config in
    sidecar) rss=$(rss_kb "$SIDECAR_PID"); hwm=$(hwm_kb "$SIDECAR_PID") ;;
    sidecar-opa) rss=$(rss_kb "$SIDECAR_OPA_PID"); hwm=$(hwm_kb "$SIDECAR_OPA_PID") ;;
    sidecar-alt) rss=$(rss_kb "$SIDECAR_ALT_PID"); hwm=$(hwm_kb "$SIDECAR_ALT_PID") ;;
    bare-yarp) rss=$(rss_kb "$BARE_PID"); hwm=$(hwm_kb "$BARE_PID") ;;
  esac
  local cpu10k
  cpu10k=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 10000; else print "NaN" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$rep" "$config" "$load" "$rps" "$p50" "$p99" "$requests" "$errors" "$cpu10k" "$rss" "$hwm" "$(cut -d' ' -f1 /proc/loadavg)" \
    | tee -a "$OUT/raw.tsv"
}

summarize() {
  # Median per (config, load) over repetitions, then ratios to (a) direct and (b) nginx.
  awk -F'\t' -v rate="$RATE" '
    function median(key, list,   n, arr, i, j, t) {
      n = split(list, arr, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
      return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
    }
    NR > 1 {
      k = $2 SUBSEP $3
      rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; err[k] += $8
      cpu[k] = cpu[k] " " $9; if ($10 != "") rss[k] = rss[k] " " $10
      if (!(($2) in seen)) { seen[$2] = 1; order[++nc] = $2 }
      if (!(($3) in seenl)) { seenl[$3] = 1; lorder[++nl] = $3 }
    }
    END {
      for (li = 1; li <= nl; li++) {
        l = lorder[li]
        printf "\n### load: %s\n\n", (l == "rate" ? "about " rate "/s, Poisson arrivals (wrk + poisson.lua)" : l " connections (wrk)")
        print "| config | req/s | x direct | x nginx | x bare-yarp | p50 us | x direct | x nginx | p99 us | x direct | x nginx | errors | proxy CPU s / 10k req | RSS MiB |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        a = "direct" SUBSEP l; b = "nginx" SUBSEP l; y = "bare-yarp" SUBSEP l
        ra = median(a, rps[a]); rb = median(b, rps[b]); pa = median(a, p50[a]); pb = median(b, p50[b]); qa = median(a, p99[a]); qb = median(b, p99[b])
        ry = (y in rps) ? median(y, rps[y]) : 0
        for (ci = 1; ci <= nc; ci++) {
          c = order[ci]; k = c SUBSEP l
          if (!(k in rps)) continue
          r = median(k, rps[k]); m = median(k, p50[k]); q = median(k, p99[k]); u = median(k, cpu[k])
          mem = (k in rss) ? sprintf("%.0f", median(k, rss[k]) / 1024) : "-"
          printf "| %s | %.0f | %.2f | %.2f | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %d | %s | %s |\n", c, r, (ra ? r / ra : 0), (rb ? r / rb : 0), (ry ? sprintf("%.2f", r / ry) : "-"), m, (pa ? m / pa : 0), (pb ? m / pb : 0), q, (qa ? q / qa : 0), (qb ? q / qb : 0), err[k], (c == "direct" ? "-" : u), mem
        }
      }
    }' "$OUT/raw.tsv"
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
    wrk -t2 -c32 -d12s "http://127.0.0.1:$(forwarder_port "$config")$REQUEST_PATH" >"$OUT/profile-$config-wrk.txt" &
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

  echo "== certificates (SidecarProxy dev-certs)"
  "$bin/SidecarProxy" dev-certs --out "$WORK/certs" >/dev/null
  local certs="$WORK/certs"

  echo "== upstream, stub OPA, nginx mTLS terminator, forwarder"
  start_nginx upstream "  server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 'ok\n'; } }"
  start_nginx stub "  server { listen 127.0.0.1:$STUB_PORT; default_type application/json; location / { return 200 '{\"result\":{\"allowed\":true}}'; } }"
  start_nginx mtls "
  upstream tool { server 127.0.0.1:$UPSTREAM_PORT; keepalive 512; }
  server {
    listen 127.0.0.1:$MTLS_PORT ssl;
    ssl_certificate $certs/sidecar.pem;
    ssl_certificate_key $certs/sidecar-key.pem;
    ssl_client_certificate $certs/ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    location /tools/demo/ {
      proxy_pass http://tool/;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_set_header Authorization 'Bearer static-benchmark-token';
    }
  }"
  local upstreams="" servers="" i=0 target
  for target in "http://127.0.0.1:$UPSTREAM_PORT" "https://127.0.0.1:$MTLS_PORT" "https://127.0.0.1:$SIDECAR_PORT" "https://127.0.0.1:$SIDECAR_OPA_PORT" "https://127.0.0.1:$SIDECAR_ALT_PORT" "https://127.0.0.1:$BARE_PORT"; do
    upstreams+="  upstream t$i { server ${target#*://}; keepalive 512; }
"
    servers+="  server {
    listen 127.0.0.1:$((FWD_PORT_BASE + i));
    location / {
      proxy_pass ${target%%://*}://t$i;
      proxy_http_version 1.1;
      proxy_set_header Connection '';
      proxy_ssl_certificate $certs/agent.pem;
      proxy_ssl_certificate_key $certs/agent-key.pem;
      proxy_ssl_session_reuse on;
    }
  }
"
    i=$((i + 1))
  done
  start_nginx forwarder "$upstreams$servers"

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
    >"$OUT/sidecar.log" 2>&1 &
  SIDECAR_PID=$!
  PIDS+=("$SIDECAR_PID")
  ASPNETCORE_ENVIRONMENT=Production "$bin/SidecarProxy" "${common[@]}" \
    --Sidecar:Policy:Engine=opa "--Sidecar:Policy:OpaUrl=http://127.0.0.1:$STUB_PORT" \
    "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_OPA_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$SIDECAR_OPA_OPS_PORT" \
    >"$OUT/sidecar-opa.log" 2>&1 &
  SIDECAR_OPA_PID=$!
  PIDS+=("$SIDECAR_OPA_PID")
  if [[ " $CONFIGS " == *" sidecar-alt "* ]]; then
    local alt_engine=()
    [ "$ALT_OF" = sidecar-opa ] && alt_engine=(--Sidecar:Policy:Engine=opa "--Sidecar:Policy:OpaUrl=http://127.0.0.1:$STUB_PORT")
    # shellcheck disable=SC2086
    env ASPNETCORE_ENVIRONMENT=Production $ALT_ENV "$bin/SidecarProxy" "${common[@]}" "${alt_engine[@]}" \
      "--Sidecar:Listen=https://127.0.0.1:$SIDECAR_ALT_PORT" "--Sidecar:Metrics:Listen=http://127.0.0.1:$SIDECAR_ALT_OPS_PORT" $ALT_ARGS \
      >"$OUT/sidecar-alt.log" 2>&1 &
    SIDECAR_ALT_PID=$!
    PIDS+=("$SIDECAR_ALT_PID")
    wait_http "http://127.0.0.1:$SIDECAR_ALT_OPS_PORT/readyz"
    echo "sidecar-alt: a copy of $ALT_OF with env '$ALT_ENV' and args '$ALT_ARGS'" | tee -a "$OUT/machine.txt"
  fi
  "$ROOT/bench/BareYarp/bin/Release/net10.0/BareYarp" --listen "127.0.0.1:$BARE_PORT" \
    --cert "$certs/sidecar.pem" --key "$certs/sidecar-key.pem" --ca "$certs/ca.pem" \
    --upstream "http://127.0.0.1:$UPSTREAM_PORT/" >"$OUT/bare-yarp.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  wait_http "http://127.0.0.1:$SIDECAR_OPS_PORT/readyz"
  wait_http "http://127.0.0.1:$SIDECAR_OPA_OPS_PORT/readyz"
  wait_http "https://127.0.0.1:$BARE_PORT/tools/demo/" -k --cert "$certs/agent.pem" --key "$certs/agent-key.pem"

  echo "== correctness: every path answers 200 through the forwarder; a POST is denied by the shipped policy"
  local config code
  for config in $CONFIGS; do
    code=$(curl -s -o "$WORK/check.txt" -w '%{http_code}' "http://127.0.0.1:$(forwarder_port "$config")$REQUEST_PATH")
    [ "$code" = 200 ] || { echo "$config answered $code: $(cat "$WORK/check.txt")" >&2; exit 1; }
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$(forwarder_port sidecar)$REQUEST_PATH")
  [ "$code" = 403 ] || { echo "sidecar: POST answered $code, expected 403 from the shipped policy" >&2; exit 1; }

  echo "== warm-up (JIT tiering, connection pools): $WARMUP per target, not recorded"
  for config in $CONFIGS; do
    wrk -t2 -c64 -d"$WARMUP" "http://127.0.0.1:$(forwarder_port "$config")$REQUEST_PATH" >/dev/null
  done

  if [ "$PROFILE" = 1 ]; then profile; fi

  echo "== runs"
  printf 'rep\tconfig\tload\trps\tp50_us\tp99_us\trequests\terrors\tcpu_s_per_10k\trss_kb\thwm_kb\tloadavg1\n' >"$OUT/raw.tsv"
  local rep load
  for rep in $(seq 1 "$REPS"); do
    for config in $CONFIGS; do
      for load in $CONNECTIONS rate; do
        measure "$rep" "$config" "$load"
      done
    done
  done

  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
  curl -s "http://127.0.0.1:$SIDECAR_OPS_PORT/metrics" >"$OUT/sidecar-metrics.txt" || true

  echo "== summary (median of $REPS)"
  summarize | tee "$OUT/summary.md"
  echo "results in $OUT"
}

main "$@"
