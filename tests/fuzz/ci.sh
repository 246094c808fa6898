#!/usr/bin/env bash
# CI's fuzz step (called from .ci/run): installs afl++ and the sharpfuzz tool when missing, replays every corpus and
# findings input once (tests/fuzz/run.sh --replay), then fuzzes each target briefly (FUZZ_CI_SECONDS, default 15 s per
# target: about 3 minutes for the 10 targets with the build). Exits non-zero on any crash, so .ci/run's status does.
# Prints its own summary; it adds nothing to .ci/run's "N passed, M failed" line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PATH="$PATH:$HOME/.dotnet/tools"

echo "== fuzzing (tests/fuzz): replay of corpus and findings, then a short afl-fuzz run per parser"
if ! command -v afl-fuzz >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
if ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

status=0
bash "$here/run.sh" --replay || status=1
# New crash inputs land in tests/fuzz/findings/<target>/ of the checkout; run.sh replays them to print what escaped.
bash "$here/run.sh" "${FUZZ_CI_SECONDS:-15}" || status=1
if [ "$status" -eq 0 ]; then echo "fuzz (ci): clean"; else echo "fuzz (ci): FAILED"; fi
exit "$status"
