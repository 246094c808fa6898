#!/usr/bin/env bash
# Checks, with the sidecar's own policy engine (`SidecarProxy policy eval`), that the compose demo's agent loop
# (deploy/compose/agent/agent-loop.sh) gets what the README promises from the shipped policies/:
#   policy-inputs/write-with-task-grant.json     its POST with the orchestrator's task grant: allowed, with
#                                                credential scopes, on a route that injects a credential;
#   policy-inputs/write-without-task-grant.json  the same POST without the grant: denied;
#   policy-inputs/delete-without-approval.json   its DELETE with the grant: held for a human approval
#                                                (require_approval, not allowed);
#   policy-inputs/delete-with-approval.json      the same DELETE retried with X-Approval-Id once the approver bot
#                                                approved it (input.approval): allowed, with credential scopes.
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
# EXPECTATION: allow (allowed, credential scopes, on a credential-injecting route), deny (not allowed, no
# approval asked) or approval (require_approval and not allowed).
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

# An approval in the input names an approver the demo has: registered in SPIRE, with the role approve on the
# sidecar's admin listener (appsettings.Compose.json).
settings = json.load(open("deploy/compose/sidecar/appsettings.Compose.json"))
if isinstance(doc.get("approval"), dict):
    approvers = {p["Id"] for p in settings["Sidecar"]["Admin"]["Principals"] if "approve" in p.get("Roles", [])}
    for approver in doc["approval"]["approved_by"]:
        if approver not in ids:
            problems.append(f"approver {approver} is not registered in deploy/spire/entries.json")
        if approver not in approvers:
            problems.append(f"approver {approver} has no role approve in appsettings.Compose.json")

allowed = decision is True or (isinstance(decision, dict) and decision.get("allowed") is True)
asks_approval = isinstance(decision, dict) and decision.get("require_approval") is True
if expect == "allow":
    if not allowed or asks_approval:
        problems.append("expected allowed")
    scopes = decision.get("credential", {}).get("scopes") if isinstance(decision, dict) else None
    if not scopes:
        problems.append("expected credential scopes")
    # The route of that tool injects a credential from a configured provider.
    routes = [r for r in settings["ReverseProxy"]["Routes"].values() if r.get("Metadata", {}).get("Tool") == tool]
    providers = {k.lower() for k in settings.get("Sidecar", {}).get("Credentials", {})}
    if not routes or any(r["Metadata"].get("Credential", "").lower() not in providers for r in routes):
        problems.append(f"the {tool} route in appsettings.Compose.json names no configured credential provider")
elif expect == "approval":
    if allowed or not asks_approval:
        problems.append("expected require_approval and not allowed")
elif expect == "deny":
    if allowed or asks_approval:
        problems.append("expected denied")
else:
    problems.append(f"unknown expectation {expect} (allow, deny or approval)")

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
check delete-without-approval approval
check delete-with-approval allow
exit "$status"
