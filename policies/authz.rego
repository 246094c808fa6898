# The sidecar's authorization policy: may this agent, for this task, reach this tool this way?
#
# Input: the OPA-Envoy-shaped document the sidecar builds for each request (see README.md).
# Output: data.sidecar.authz.decision, an object the sidecar enforces:
#   {"allowed": bool, "reason": string, "credential": {"scopes": [...], "ttl_seconds": n},
#    "require_approval": bool, "headers": {...},
#    "contain": {"scope": "task"|"identity", "action": "revoke"|"quarantine", "reason": string}}
package sidecar.authz

import rego.v1

# HTTP methods mapped to the three actions a grant can name. Methods not listed are denied.
actions := {
	"GET": "read",
	"HEAD": "read",
	"OPTIONS": "read",
	"POST": "write",
	"PUT": "write",
	"PATCH": "write",
	"DELETE": "delete",
}

principal := input.attributes.source.principal

method := input.attributes.request.http.method

tool_id := input.tool.id

tool := data.sidecar.tools[tool_id]

action := actions[method]

# Actions that some grant matching this principal allows on this tool.
granted_actions contains granted if {
	some grant in data.sidecar.grants
	principal_matches(grant.principal)
	some granted in object.get(grant.tools, tool_id, [])
}

# An exact SPIFFE ID, or a glob over its path segments ("/" is the delimiter).
principal_matches(pattern) if pattern == principal

principal_matches(pattern) if {
	contains(pattern, "*")
	glob.match(pattern, ["/"], principal)
}

has_task if is_object(input.task)

# Every action on a high-risk tool, and every delete, is held for a human approval.
needs_approval if action == "delete"

needs_approval if tool.risk == "high"

approved if input.approval.approved == true

# Why a request is refused. Each rule adds one reason; the decision reports them all.
deny contains "request has no SPIFFE ID" if not principal

deny contains "request names no tool" if not tool_id

deny contains "request has no HTTP method" if not method

deny contains sprintf("tool %q is not in the catalogue", [tool_id]) if not tool

deny contains sprintf("method %s is not allowed", [method]) if not action

deny contains msg if {
	tool
	action
	not action in granted_actions
	msg := sprintf("%s may not %s on tool %s", [principal, action, tool_id])
}

deny contains sprintf("%s on tool %s requires a task grant", [action, tool_id]) if {
	action in {"write", "delete"}
	not has_task
}

# A quarantined caller (input.containment, set by the sidecar's admin API) may only read: every other action is
# refused, so no write or delete scope is ever issued to it. A revoked caller never reaches the policy.
quarantined if input.containment.state == "quarantined"

deny contains sprintf("%s is quarantined (%s): only reads are allowed", [principal, input.containment.reason]) if {
	quarantined
	action
	action != "read"
}

# A tool labelled never_delete (in the catalogue, or by its route's Labels.never_delete = "true") must never see a
# delete. A task that tries is refused, and contained: the decision carries "contain", which the sidecar applies
# like an admin quarantine of the task (stored, enforced, audited with created_by "policy:..."), so the task's
# later writes are refused too. Without a task, the delete is refused anyway (it needs a task grant).
never_delete if "never_delete" in object.get(tool, "labels", [])

never_delete if input.tool.labels.never_delete == "true"

never_delete_attempt if {
	action == "delete"
	never_delete
	has_task
}

deny contains sprintf("tool %s never allows delete: task %s is quarantined", [tool_id, input.task.id]) if never_delete_attempt

containment_request := {
	"scope": "task",
	"action": "quarantine",
	"reason": sprintf("task %s tried to delete on tool %s (never_delete)", [input.task.id, tool_id]),
} if never_delete_attempt

# A task grant may narrow the tools an agent uses for that task (claim "tools").
deny contains sprintf("task %s is not allowed to use tool %s", [input.task.id, tool_id]) if {
	has_task
	allowed_tools := input.task.claims.tools
	is_array(allowed_tools)
	not tool_id in allowed_tools
}

deny contains sprintf("task %s has expired", [input.task.id]) if {
	has_task
	task_seconds_left < 1
}

# Seconds until the task expires, from the request's own clock (keeps decisions reproducible).
task_seconds_left := (time.parse_rfc3339_ns(input.task.expires_at) - time.parse_rfc3339_ns(input.attributes.request.time)) / 1000000000 if {
	has_task
	input.task.expires_at
}

# Credential lifetime: the tool's maximum, the global default, and the task's remaining time.
ttl_seconds := floor(min([object.get(tool, "max_ttl_seconds", data.sidecar.default_ttl_seconds), data.sidecar.default_ttl_seconds, task_seconds_left])) if task_seconds_left

else := min([object.get(tool, "max_ttl_seconds", data.sidecar.default_ttl_seconds), data.sidecar.default_ttl_seconds])

scopes := object.get(tool, ["scopes", action], [])

task_headers := {"x-sidecar-task": input.task.id} if has_task

else := {}

# The decision, with "contain" when a rule asks for a containment.
decision := object.union(verdict, {"contain": containment_request}) if containment_request

else := verdict

verdict := {
	"allowed": false,
	"reason": concat("; ", sort(deny)),
} if {
	count(deny) > 0
} else := {
	"allowed": false,
	"require_approval": true,
	"reason": sprintf("%s on tool %s needs a human approval", [action, tool_id]),
} if {
	needs_approval
	not approved
} else := {
	"allowed": true,
	"reason": sprintf("%s may %s on tool %s", [principal, action, tool_id]),
	"credential": {"scopes": scopes, "ttl_seconds": ttl_seconds},
	"headers": task_headers,
}
