#!/usr/bin/env bash
# Validates the deployment files without a Docker engine (nothing is built or started):
#   - docker-compose.yml parses and resolves (`docker-compose config`, Debian's docker-compose package);
#   - the JSON and shell files the compose services mount, and the demo's policy inputs, are well formed;
#   - the sidecar's admin listener (approvals) is bound to its admin-net address, a network the agent is not on;
#   - every host path the compose file bind-mounts exists (a warning, or an error with --strict).
# Usage: deploy/check.sh [--strict]
set -euo pipefail
cd "$(dirname "$0")/.."

strict=false
if [ "${1:-}" = "--strict" ]; then
    strict=true
fi

if ! command -v docker-compose >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing docker-compose (Debian package)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
    else
        echo "deploy/check.sh: docker-compose is not installed (Debian: apt-get install docker-compose)" >&2
        exit 1
    fi
fi

echo "== docker-compose config"
resolved=$(mktemp)
trap 'rm -f "$resolved"' EXIT
docker-compose -f docker-compose.yml config >"$resolved"
echo "docker-compose.yml: valid ($(docker-compose -f docker-compose.yml config --services | wc -l) services)"

echo "== mounted files"
for json in deploy/spire/entries.json deploy/compose/sidecar/appsettings.Compose.json deploy/compose/wiremock/mappings/*.json \
    deploy/compose/policy-inputs/*.json; do
    python3 -m json.tool "$json" >/dev/null
    echo "$json: valid JSON"
done
for script in deploy/compose/agent/agent-loop.sh deploy/compose/approver/approver.sh; do
    sh -n "$script"
    echo "$script: valid sh"
done
bash -n deploy/compose/orchestrator/orchestrator.sh
echo "deploy/compose/orchestrator/orchestrator.sh: valid bash"

echo "== admin listener"
# The approvals are decided on the sidecar's admin listener. It must listen on the sidecar's fixed address on
# admin-net (not 0.0.0.0), and the agent must not be on admin-net: then the agent cannot reach it.
python3 - "$resolved" <<'PY'
import ipaddress, sys, urllib.parse, yaml
with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
services = config["services"]
listen = services["sidecar"]["environment"]["Sidecar__Admin__Listen"]
host = ipaddress.ip_address(urllib.parse.urlsplit(listen).hostname)
address = ipaddress.ip_address(services["sidecar"]["networks"]["admin-net"]["ipv4_address"])
subnet = ipaddress.ip_network(config["networks"]["admin-net"]["ipam"]["config"][0]["subnet"])
problems = []
if host != address:
    problems.append(f"Sidecar__Admin__Listen ({listen}) is not the sidecar's admin-net address {address}")
if address not in subnet:
    problems.append(f"the sidecar's admin-net address {address} is outside the subnet {subnet}")
if not config["networks"]["admin-net"].get("internal"):
    problems.append("admin-net is not internal")
if "admin-net" in (services["agent"].get("networks") or {}):
    problems.append("the agent is on admin-net: it could reach the admin listener")
if list(services["approver"].get("networks") or {}) != ["admin-net"]:
    problems.append("the approver must be on admin-net only")
for p in problems:
    print("  " + p)
if problems:
    sys.exit(1)
print(f"sidecar admin listener on {listen} (admin-net {subnet}); agent not on admin-net")
PY

echo "== bind-mount sources"
missing=$(python3 - "$resolved" <<'PY'
import os, sys, yaml
with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
for name, service in sorted(config.get("services", {}).items()):
    for volume in service.get("volumes", []):
        source = volume.get("source") if isinstance(volume, dict) else volume.split(":", 1)[0]
        kind = volume.get("type") if isinstance(volume, dict) else ("bind" if source.startswith(("/", ".")) else "volume")
        if kind == "bind" and not os.path.exists(source):
            print(f"{name}: {os.path.relpath(source)}")
PY
)
if [ -n "$missing" ]; then
    echo "bind-mount sources not in the repository yet:"
    echo "$missing" | sed 's/^/  /'
    if $strict; then
        exit 1
    fi
else
    echo "all bind-mount sources present"
fi

echo "deploy/check.sh: ok"
