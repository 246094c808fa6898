#!/bin/sh
# The demo's approver bot, standing in for the person (or the on-call tool) who decides approvals. It calls the
# sidecar's admin listener (Sidecar:Admin:Listen, on the admin-net network, which the agent is not on) with its
# own X.509-SVID, spiffe://agents.example.org/ops/approver, which appsettings.Compose.json gives the role
# `approve`. Every few seconds it lists the pending approvals and approves the demo agent's one delete, with a
# comment saying who it is; anything else it leaves pending, for a person (docs/approvals.md).
# A real approver reads the approval's context (GET /admin/approvals/{id}: agent, task, request, policy reason)
# before deciding; this bot approves on the agent, tool, method and path alone because it is a demo.
set -u

ADMIN_URL="${ADMIN_URL:-https://sidecar:15444}"
INTERVAL="${INTERVAL:-3}"
SVID_DIR="${SVID_DIR:-/svid}"
# The only request this bot approves: the demo agent's delete (deploy/compose/agent/agent-loop.sh), as the tool
# will see it (the sidecar removes the route's /tools/github prefix).
DEMO_AGENT="${DEMO_AGENT:-spiffe://agents.example.org/agent/researcher}"
DEMO_TOOL="${DEMO_TOOL:-github}"
DEMO_METHOD="${DEMO_METHOD:-DELETE}"
DEMO_PATH="${DEMO_PATH:-/repos/acme/app/issues/comments/42}"
COMMENT="${COMMENT:-approved by the compose demo bot (deploy/compose/approver/approver.sh), which approves only the demo agent's delete}"

echo "approver: waiting for the SVID from spiffe-helper in $SVID_DIR"
while [ ! -s "$SVID_DIR/svid.pem" ] || [ ! -s "$SVID_DIR/svid_key.pem" ] || [ ! -s "$SVID_DIR/svid_bundle.pem" ]; do
    sleep 1
done
echo "approver: polling $ADMIN_URL/admin/approvals?state=pending every ${INTERVAL}s"

# One admin API call; prints the status, the body is in /tmp/admin.json. Any further arguments are curl options.
# As the agent does, curl checks the sidecar's SVID (DNS name "sidecar") against the agents.example.org bundle.
admin() {
    : >/tmp/admin.json
    curl --silent --show-error --max-time 10 --output /tmp/admin.json --write-out '%{http_code}' \
        --cert "$SVID_DIR/svid.pem" --key "$SVID_DIR/svid_key.pem" --cacert "$SVID_DIR/svid_bundle.pem" \
        "$@"
}

# A value as a basic regular expression that matches only itself (a SPIFFE ID has dots).
literal() {
    printf '%s' "$1" | sed 's/[].[*^$\\]/\\&/g'
}

last_listing=""
while true; do
    # curl's own message is dropped: status 000 says the sidecar did not answer (yet).
    status=$(admin "$ADMIN_URL/admin/approvals?state=pending" 2>/dev/null)
    if [ "$status" != 200 ]; then
        # Logged on change only: while the sidecar starts, this repeats every few seconds.
        listing="$status $(head -c 300 /tmp/admin.json 2>/dev/null)"
        if [ "$listing" != "$last_listing" ]; then
            echo "approver: GET /admin/approvals?state=pending -> $listing"
            last_listing="$listing"
        fi
        sleep "$INTERVAL"
        continue
    fi
    last_listing=""

    # The list is one line of JSON whose records start with id, state, agent, tool, method and path, in that order
    # (Approvals/ApprovalEndpoints.cs); the curl image has no jq, so the demo's record is picked out with grep.
    demo='"id":"apr_[A-Za-z0-9_-]*","state":"pending","agent":"'"$(literal "$DEMO_AGENT")"'","tool":"'"$(literal "$DEMO_TOOL")"'","method":"'"$(literal "$DEMO_METHOD")"'","path":"'"$(literal "$DEMO_PATH")"'"'
    ids=$(grep -o "$demo" /tmp/admin.json | sed 's/^"id":"\([^"]*\)".*/\1/')
    for id in $ids; do
        echo "approver: pending approval $id: $DEMO_AGENT $DEMO_METHOD $DEMO_PATH on tool $DEMO_TOOL; approving"
        status=$(admin --header 'Content-Type: application/json' --data "{\"comment\":\"$COMMENT\"}" \
            "$ADMIN_URL/admin/approvals/$id/approve")
        state=$(sed -n 's/^{"id":"[^"]*","state":"\([a-z]*\)".*/\1/p' /tmp/admin.json)
        if [ "$status" = 200 ]; then
            echo "approver: POST /admin/approvals/$id/approve -> 200, state $state"
        else
            echo "approver: POST /admin/approvals/$id/approve -> $status $(head -c 300 /tmp/admin.json)"
        fi
    done
    sleep "$INTERVAL"
done
