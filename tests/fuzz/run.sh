#!/usr/bin/env bash
# Fuzzes the proxy's parsers with afl-fuzz (Debian's afl++) through SharpFuzz. See tests/fuzz/README.md.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   afl-fuzz each target for SECONDS (default 60); all targets when none named
#   tests/fuzz/run.sh --replay [TARGET...]    runs every file of corpus/<target>/ and findings/<target>/ once, no afl
#
# Builds the harness in Release, copies its output to a work folder and instruments the proxy assemblies there
# (SidecarProxy.dll, SidecarProxy.Rego.dll; the build output itself stays uninstrumented). Prints per target the
# executions, corpus size (paths), crashes and hangs from afl's fuzzer_stats, copies each crash input to
# findings/<target>/ and exits 1 if any target crashed (or 2 when it could not run). Hangs are reported, and copied
# to findings/<target>/hangs/ for a look, but do not fail the run: on a busy 2-core machine a slow execution can pass
# afl's limit. A replayed input that runs past the harness's limit does fail --replay.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
all_targets=(spiffe pem urisan taskgrant jwks rego decision opa mcp sse)
work="${FUZZ_WORK:-$here/.work}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PATH="$PATH:$HOME/.dotnet/tools"

replay=0
seconds=60
if [ "${1:-}" = "--replay" ]; then
  replay=1
  shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " == *" $t "* ]]; then
    echo "unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

echo "== fuzz: build (Release)"
dotnet build "$here/SidecarProxy.Fuzz/SidecarProxy.Fuzz.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
out="$here/SidecarProxy.Fuzz/bin/Release/net10.0"

if [ "$replay" -eq 1 ]; then
  status=0
  for t in "${targets[@]}"; do
    dirs=("$here/corpus/$t")
    [ -d "$here/findings/$t" ] && dirs+=("$here/findings/$t")
    dotnet "$out/SidecarProxy.Fuzz.dll" --replay "$t" "${dirs[@]}" || status=1
  done
  if [ "$status" -eq 0 ]; then echo "fuzz replay: no crash"; else echo "fuzz replay: CRASHES (see above)"; fi
  exit "$status"
fi

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is not installed (apt-get install afl++)" >&2; exit 2; }
if ! command -v sharpfuzz >/dev/null; then
  echo "== fuzz: installing the sharpfuzz tool"
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >&2
fi

echo "== fuzz: instrument (sharpfuzz)"
rm -rf "$work/bin"
mkdir -p "$work"
cp -r "$out" "$work/bin"
for dll in SidecarProxy.dll SidecarProxy.Rego.dll; do
  sharpfuzz "$work/bin/$dll" >/dev/null
done

# afl-fuzz on a shared machine, as root, with a core_pattern it may not be allowed to change, fuzzing `dotnet`
# (not itself instrumented: the coverage comes from the instrumented assemblies through SharpFuzz's fork server).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 \
  AFL_NO_AFFINITY=1 AFL_FORKSRV_INIT_TMOUT=60000 \
  AFL_SKIP_CRASHES=1

stat_of() { sed -n "s/^$2 *: *//p" "$1" | head -n 1; }

status=0
summary=()
for t in "${targets[@]}"; do
  echo "== fuzz: $t (${seconds}s)"
  rm -rf "$work/out/$t"
  mkdir -p "$work/out"
  dict=()
  [ -f "$here/dict/$t.dict" ] && dict=(-x "$here/dict/$t.dict")
  log="$work/out/$t.log"
  rc=0
  afl-fuzz -i "$here/corpus/$t" -o "$work/out/$t" -V "$seconds" -t 5000 -m none "${dict[@]}" \
    -- dotnet "$work/bin/SidecarProxy.Fuzz.dll" "$t" >"$log" 2>&1 || rc=$?
  stats="$work/out/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "afl-fuzz did not start for $t (exit $rc); the end of its log:" >&2
    tail -n 25 "$log" >&2
    summary+=("$(printf '%-10s did not run' "$t")")
    status=2
    continue
  fi
  execs="$(stat_of "$stats" execs_done)"
  paths="$(stat_of "$stats" corpus_count)"
  crashes="$(stat_of "$stats" saved_crashes)"
  hangs="$(stat_of "$stats" saved_hangs)"
  speed="$(stat_of "$stats" execs_per_sec)"
  summary+=("$(printf '%-10s executions %8s (%s/s)  paths %5s  crashes %3s  hangs %3s' "$t" "$execs" "$speed" "$paths" "$crashes" "$hangs")")
  for kind in crashes hangs; do
    shopt -s nullglob
    files=("$work/out/$t/default/$kind"/id:*)
    shopt -u nullglob
    [ "${#files[@]}" -gt 0 ] || continue
    dest="$here/findings/$t"
    [ "$kind" = hangs ] && dest="$dest/hangs"
    mkdir -p "$dest"
    for f in "${files[@]}"; do
      # afl names inputs "id:000000,sig:06,src:...": keep a name without commas or colons, keyed by content.
      cp "$f" "$dest/$kind-$(sha1sum "$f" | cut -c1-12)"
    done
  done
  if [ "${crashes:-0}" -gt 0 ]; then
    status=1
    echo "   $t: $crashes crash(es); inputs copied to tests/fuzz/findings/$t/" >&2
    dotnet "$out/SidecarProxy.Fuzz.dll" --replay "$t" "$here/findings/$t" || true
  fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
case "$status" in
  0) echo "fuzz: no crash in ${#targets[@]} target(s)" ;;
  1) echo "fuzz: CRASHES found (inputs in tests/fuzz/findings/)" ;;
  *) echo "fuzz: some targets did not run" ;;
esac
exit "$status"
