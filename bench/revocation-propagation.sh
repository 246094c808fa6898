#!/usr/bin/env bash
# Fleet revocation propagation benchmark (bench/RevocationPropagation): redis-server and two sidecar processes on
# 127.0.0.1; N revocations at A (default 200), each timed until B refuses it (p50/p99), and the local effect at A
# (201 to a new agent request refused). Bounded: every wait has a deadline; everything started is killed at the end.
#
# Usage: bash bench/revocation-propagation.sh [N]
# Needs: redis-server (apt-get install redis-server), the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
if ! command -v redis-server >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
dotnet build proxy/SidecarProxy -c Release -v q -nologo >/dev/null
dotnet build bench/RevocationPropagation -c Release -v q -nologo >/dev/null
timeout 600 dotnet bench/RevocationPropagation/bin/Release/net10.0/RevocationPropagation.dll \
  --sidecar-dll proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy.dll --policies policies --n "$N"
