#!/bin/sh
# The example "AI agent": every few seconds it files an issue through the sidecar, authenticating with its own
# X.509-SVID. It holds no GitHub credential; the sidecar strips what it sends and injects a just-in-time one.
# Its only network is agent-net (internal), so the sidecar is its only way out.
set -u

SIDECAR_URL="${SIDECAR_URL:-https://sidecar:15443}"
INTERVAL="${INTERVAL:-5}"
SVID_DIR="${SVID_DIR:-/svid}"

echo "agent: waiting for the SVID from spiffe-helper in $SVID_DIR"
while [ ! -s "$SVID_DIR/svid.pem" ] || [ ! -s "$SVID_DIR/svid_key.pem" ] || [ ! -s "$SVID_DIR/svid_bundle.pem" ]; do
    sleep 1
done

while true; do
    # The sidecar's SVID carries the DNS name "sidecar" (registration entry), so curl checks the host name and
    # the chain against the trust bundle of agents.example.org.
    status=$(curl --silent --show-error --output /tmp/response.json --write-out '%{http_code}' \
        --cert "$SVID_DIR/svid.pem" --key "$SVID_DIR/svid_key.pem" --cacert "$SVID_DIR/svid_bundle.pem" \
        --header 'Content-Type: application/json' \
        --header 'Authorization: Bearer agent-must-not-be-able-to-use-this' \
        --data '{"title":"Flaky test in CI","labels":["triage"]}' \
        "$SIDECAR_URL/tools/github/repos/acme/app/issues")
    echo "agent: POST /tools/github/repos/acme/app/issues -> $status $(head -c 300 /tmp/response.json 2>/dev/null)"
    sleep "$INTERVAL"
done
