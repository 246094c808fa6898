#!/bin/sh
# The example "AI agent": every few seconds it calls the github tool through the sidecar three times,
# authenticating with its own X.509-SVID each time. It holds no GitHub credential; the sidecar strips what it
# sends (including the bogus Authorization below) and injects a just-in-time one.
#   1. POST an issue with the task grant the orchestrator minted for it (X-Task-Grant): the policy allows the
#      write, the sidecar injects a JWT with scope issues:write, and the tool (WireMock) answers 201;
#   2. the same POST without it: the policy refuses every write outside a task, 403 policy_denied, nothing is
#      forwarded;
#   3. DELETE a comment with the task grant: the policy holds every delete for a human approval, so the sidecar
#      answers 403 approval_required with an approval id (refuse mode, docs/approvals.md). The agent retries the
#      same request with X-Approval-Id every Retry-After seconds (at most APPROVAL_TRIES times): 403
#      approval_pending until the approver bot (deploy/compose/approver/) approves it, then the sidecar asks the
#      policy again with input.approval, forwards the delete once with a repo:delete JWT, and the tool answers 204.
# Its only network is agent-net (internal), so the sidecar is its only way out; the sidecar's admin listener,
# where approvals are decided, is not on that network (checked once at start).
# deploy/compose/policy-inputs/ holds the policy input the sidecar builds for each of these requests.
set -u

SIDECAR_URL="${SIDECAR_URL:-https://sidecar:15443}"
ADMIN_URL="${ADMIN_URL:-https://sidecar:15444}"
INTERVAL="${INTERVAL:-5}"
SVID_DIR="${SVID_DIR:-/svid}"
TASK_GRANT_FILE="${TASK_GRANT_FILE:-/grants/researcher.jwt}"
APPROVAL_TRIES="${APPROVAL_TRIES:-12}"
ISSUES_PATH=/tools/github/repos/acme/app/issues
COMMENT_PATH=/tools/github/repos/acme/app/issues/comments/42

echo "agent: waiting for the SVID from spiffe-helper in $SVID_DIR and the task grant $TASK_GRANT_FILE"
while [ ! -s "$SVID_DIR/svid.pem" ] || [ ! -s "$SVID_DIR/svid_key.pem" ] || [ ! -s "$SVID_DIR/svid_bundle.pem" ] \
    || [ ! -s "$TASK_GRANT_FILE" ]; do
    sleep 1
done

# One request through the sidecar; prints the status. The body is in /tmp/response.json, the headers in
# /tmp/headers.txt (emptied first: a 204 writes no body). Arguments: curl options, the URL last.
# The sidecar's SVID carries the DNS name "sidecar" (registration entry), so curl checks the host name and the
# chain against the trust bundle of agents.example.org.
call() {
    : >/tmp/response.json
    : >/tmp/headers.txt
    curl --silent --show-error --max-time 30 --output /tmp/response.json --dump-header /tmp/headers.txt \
        --write-out '%{http_code}' \
        --cert "$SVID_DIR/svid.pem" --key "$SVID_DIR/svid_key.pem" --cacert "$SVID_DIR/svid_bundle.pem" \
        --header 'Authorization: Bearer agent-must-not-be-able-to-use-this' \
        "$@"
}

# A member of the problem document in /tmp/response.json (the sidecar writes it on one line).
problem_member() {
    sed -n 's/.*"'"$1"'": *"\([^"]*\)".*/\1/p' /tmp/response.json
}

# The Retry-After of the last answer, in seconds (the sidecar's Sidecar:Approvals:RetryAfterSeconds), bounded.
retry_after() {
    seconds=$(sed -n 's/^[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]: *\([0-9][0-9]*\).*/\1/p' /tmp/headers.txt)
    if [ -z "$seconds" ] || [ "$seconds" -lt 1 ] || [ "$seconds" -gt 60 ]; then
        seconds=5
    fi
    echo "$seconds"
}

log() {
    echo "agent: $1 -> $2 $(head -c 300 /tmp/response.json 2>/dev/null)"
}

# The admin listener must be out of the agent's reach: no approving its own requests, even by mistake.
probe=$(curl --silent --max-time 5 --output /dev/null --write-out '%{http_code}' \
    --cert "$SVID_DIR/svid.pem" --key "$SVID_DIR/svid_key.pem" --cacert "$SVID_DIR/svid_bundle.pem" \
    "$ADMIN_URL/admin/approvals")
probe_exit=$?
if [ "$probe_exit" -eq 0 ]; then
    echo "agent: WARNING: the admin listener $ADMIN_URL answered the agent ($probe); it should not be on agent-net"
else
    echo "agent: the admin listener $ADMIN_URL is out of reach from agent-net, as intended (curl exit $probe_exit)"
fi

# POST an issue; $1 names the attempt, any further arguments are extra curl options.
file_issue() {
    attempt="$1"
    shift
    status=$(call --header 'Content-Type: application/json' "$@" \
        --data '{"title":"Flaky test in CI","labels":["triage"]}' \
        "$SIDECAR_URL$ISSUES_PATH")
    log "POST $ISSUES_PATH ($attempt)" "$status"
}

# DELETE a comment with the task grant ($1): asks, then retries with the approval id until the request is
# forwarded (2xx), refused for good (any other answer than approval_pending), or APPROVAL_TRIES retries are spent.
delete_comment() {
    grant="$1"
    status=$(call --request DELETE --header "X-Task-Grant: $grant" "$SIDECAR_URL$COMMENT_PATH")
    log "DELETE $COMMENT_PATH (with task grant)" "$status"
    code=$(problem_member code)
    if [ "$status" != 403 ] || [ "$code" != approval_required ]; then
        return
    fi

    approval_id=$(problem_member approval_id)
    if [ -z "$approval_id" ]; then
        # A sidecar without approvers (no admin listener, no console) refuses with no id: nothing to wait for.
        echo "agent: no approval id in the answer: the sidecar has no approvers configured"
        return
    fi
    echo "agent: approval $approval_id required (approval_url $(problem_member approval_url)); retrying with X-Approval-Id"
    tries=0
    while [ "$tries" -lt "$APPROVAL_TRIES" ]; do
        sleep "$(retry_after)"
        tries=$((tries + 1))
        # The same request (method, path, body, task), so it matches the approval's digest.
        status=$(call --request DELETE --header "X-Task-Grant: $grant" --header "X-Approval-Id: $approval_id" \
            "$SIDECAR_URL$COMMENT_PATH")
        code=$(problem_member code)
        log "DELETE $COMMENT_PATH (retry $tries with X-Approval-Id $approval_id)" "$status"
        case "$status:$code" in
            2??:*)
                echo "agent: approval $approval_id: the delete was forwarded (tool answered $status)"
                return
                ;;
            403:approval_pending) ;;
            *)
                echo "agent: approval $approval_id: refused for good ($status $code)"
                return
                ;;
        esac
    done
    echo "agent: approval $approval_id: still pending after $tries retries; giving up on it"
}

while true; do
    # Read on every round: the orchestrator replaces the grant before it expires.
    grant=$(cat "$TASK_GRANT_FILE")
    file_issue "with task grant" --header "X-Task-Grant: $grant"
    file_issue "without task grant"
    delete_comment "$grant"
    sleep "$INTERVAL"
done
