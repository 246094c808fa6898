#!/bin/bash
# The demo's stand-in for the orchestrator that starts the agent's task. It runs the sidecar image's
# `task-grant` command, which keeps an ES256 key in /tmp (a tmpfs only this container sees), publishes the
# key's public half as /grants/jwks.json (read by the sidecar: Sidecar__TaskGrants__JwksPath) and mints the
# task grant the agent sends in X-Task-Grant: /grants/researcher.jwt, bound to the agent's SPIFFE ID (sub),
# allowed to use the github tool only (claim tools). It mints a fresh grant before the previous one expires.
set -euo pipefail

ISSUER="${TASK_GRANT_ISSUER:?TASK_GRANT_ISSUER is not set}"
AGENT_ID="${AGENT_SPIFFE_ID:?AGENT_SPIFFE_ID is not set}"
TASK_ID="${TASK_ID:-t-triage-1}"
TTL="${TASK_GRANT_TTL:-01:00:00}"
RENEW_SECONDS="${RENEW_SECONDS:-1800}"

while true; do
    dotnet /app/SidecarProxy.dll task-grant \
        --key /tmp/orchestrator-key.pem --jwks /grants/jwks.json \
        --issuer "$ISSUER" --sub "$AGENT_ID" --task-id "$TASK_ID" --ttl "$TTL" \
        --tools github --claim purpose=triage \
        --out /grants/researcher.jwt
    sleep "$RENEW_SECONDS"
done
