#!/bin/sh
# The example "AI agent": every few seconds it files an issue through the sidecar twice, authenticating with
# its own X.509-SVID both times. It holds no GitHub credential; the sidecar strips what it sends (including the
# bogus Authorization below) and injects a just-in-time one.
#   1. with the task grant the orchestrator minted for it (X-Task-Grant): the policy allows the write, the
#      sidecar injects a JWT with scope issues:write, and the tool (WireMock) answers 201;
#   2. without it: the policy refuses every write outside a task, 403 policy_denied, nothing is forwarded.
# Its only network is agent-net (internal), so the sidecar is its only way out.
# deploy/compose/policy-inputs/ holds the policy input the sidecar builds for each of the two requests.
set -u

SIDECAR_URL="${SIDECAR_URL:-https://sidecar:15443}"
INTERVAL="${INTERVAL:-5}"
SVID_DIR="${SVID_DIR:-/svid}"
TASK_GRANT_FILE="${TASK_GRANT_FILE:-/grants/researcher.jwt}"
URL="$SIDECAR_URL/tools/github/repos/acme/app/issues"

echo "agent: waiting for the SVID from spiffe-helper in $SVID_DIR and the task grant $TASK_GRANT_FILE"
while [ ! -s "$SVID_DIR/svid.pem" ] || [ ! -s "$SVID_DIR/svid_key.pem" ] || [ ! -s "$SVID_DIR/svid_bundle.pem" ] \
    || [ ! -s "$TASK_GRANT_FILE" ]; do
    sleep 1
done

# POST an issue; $1 names the attempt, any further arguments are extra curl options.
file_issue() {
    attempt="$1"
    shift
    # The sidecar's SVID carries the DNS name "sidecar" (registration entry), so curl checks the host name and
    # the chain against the trust bundle of agents.example.org.
    status=$(curl --silent --show-error --output /tmp/response.json --write-out '%{http_code}' \
        --cert "$SVID_DIR/svid.pem" --key "$SVID_DIR/svid_key.pem" --cacert "$SVID_DIR/svid_bundle.pem" \
        --header 'Content-Type: application/json' \
        --header 'Authorization: Bearer agent-must-not-be-able-to-use-this' \
        "$@" \
        --data '{"title":"Flaky test in CI","labels":["triage"]}' \
        "$URL")
    echo "agent: POST /tools/github/repos/acme/app/issues ($attempt) -> $status $(head -c 300 /tmp/response.json 2>/dev/null)"
}

while true; do
    # Read on every round: the orchestrator replaces the grant before it expires.
    file_issue "with task grant" --header "X-Task-Grant: $(cat "$TASK_GRANT_FILE")"
    file_issue "without task grant"
    sleep "$INTERVAL"
done
