#!/usr/bin/env bash
# Checks, with the sidecar's own policy engine (`SidecarProxy policy eval`), that the compose demo's agent loop
# (deploy/compose/agent/agent-loop.sh) gets what the README promises from the shipped policies/:
#   policy-inputs/write-with-task-grant.json     its POST with the orchestrator's task grant: allowed, with
#                                                credential scopes, on a route that injects a credential;
#   policy-inputs/write-without-task-grant.json  the same POST without the grant: denied.
# The inputs are what the sidecar builds for those exact requests (captured from a running sidecar; see
# policy-inputs/README.md). Needs a built sidecar: dotnet build proxy/SidecarProxy -c Release.
# Usage: deploy/compose/check-policy.sh [path/to/SidecarProxy.dll]
set -euo pipefail
cd "$(dirname "$0")/../.."

dll="${1:-proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy.dll}"
if [ ! -f "$dll" ]; then
    echo "check-policy.sh: $dll not found (dotnet build proxy/SidecarProxy -c Release)" >&2
    exit 1
fi

status=0
# check NAME EXPECTATION: evaluates policy-inputs/NAME.json, then checks the decision with python3.
check() {
    local name="$1" expect="$2" input="deploy/compose/policy-inputs/$1.json" decision
    if ! decision="$(dotnet "$dll" policy eval --input "$input" policies)"; then
        echo "FAIL $name: policy eval failed"
        status=1
        return
    fi
    echo "$name: $decision"
    if python3 - "$input" "$expect" "$decision" <<'PY'
import json, sys
input_path, expect, decision = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
doc = json.load(open(input_path))
problems = []

# The input is the agent loop's: its SPIFFE ID is registered in SPIRE, its URL is the one the loop calls.
ids = [e["spiffe_id"] for e in json.load(open("deploy/spire/entries.json"))["entries"]]
if doc["source_principal"] not in ids:
    problems.append(f"principal {doc['source_principal']} is not registered in deploy/spire/entries.json")
loop = open("deploy/compose/agent/agent-loop.sh").read()
tool = doc["tool"]["id"]
if f"/tools/{tool}{doc['attributes']['request']['http']['path']}" not in loop:
    problems.append("the agent loop does not call this tool and path")

allowed = decision is True or (isinstance(decision, dict) and decision.get("allowed") is True)
if expect == "allow":
    if not allowed or decision.get("require_approval") is True:
        problems.append("expected allowed")
    scopes = decision.get("credential", {}).get("scopes") if isinstance(decision, dict) else None
    if not scopes:
        problems.append("expected credential scopes")
    # The route of that tool injects a credential from a configured provider.
    settings = json.load(open("deploy/compose/sidecar/appsettings.Compose.json"))
    routes = [r for r in settings["ReverseProxy"]["Routes"].values() if r.get("Metadata", {}).get("Tool") == tool]
    providers = {k.lower() for k in settings.get("Sidecar", {}).get("Credentials", {})}
    if not routes or any(r["Metadata"].get("Credential", "").lower() not in providers for r in routes):
        problems.append(f"the {tool} route in appsettings.Compose.json names no configured credential provider")
elif allowed:
    problems.append("expected denied")

for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
PY
    then
        echo "ok   $name: $expect"
    else
        echo "FAIL $name: expected $expect"
        status=1
    fi
}

check write-with-task-grant allow
check write-without-task-grant deny
exit "$status"
