# The sidecar's authorization policy: may this agent, for this task, reach this tool this way?
#
# Input: the OPA-Envoy-shaped document the sidecar builds for each request (see README.md).
# Output: data.sidecar.authz.decision, an object the sidecar enforces:
#   {"allowed": bool, "reason": string, "credential": {"scopes": [...], "ttl_seconds": n},
#    "require_approval": bool, "approval": {"min_approvals": n, "approver_roles": [...], ...}, "headers": {...},
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

# The action: from the HTTP method, or on an MCP route (input.mcp present) from the JSON-RPC message.
action := actions[method] if not is_mcp

action := mcp_action if is_mcp

# ---- MCP routes (docs/mcp.md) ----------------------------------------------------------------------
# The sidecar asks once per JSON-RPC message (phase "call", "notification", "response"), once per item of a
# list result (phase "list", name = the item's name or URI), and once for a GET stream or DELETE ("transport").
is_mcp if is_object(input.mcp)

mcp := object.get(tool, "mcp", {})

# Protocol plumbing every agent with some grant on the tool may use; lists are filtered item by item.
mcp_protocol_methods := {
	"initialize", "ping", "server/discover", "tools/list", "prompts/list", "resources/list",
	"resources/templates/list", "completion/complete", "logging/setLevel",
}

# The catalogue entry of the item a message names: tools by name, prompts by name, resources by URI.
mcp_catalogue := {
	"tools/call": "tools", "prompts/get": "prompts", "resources/read": "resources",
	"resources/subscribe": "resources", "resources/unsubscribe": "resources",
	"tools/list": "tools", "prompts/list": "prompts", "resources/list": "resources",
	"resources/templates/list": "resource_templates",
}

mcp_item := mcp[mcp_catalogue[input.mcp.method]][input.mcp.name]

# A call of a catalogued item, or a list item: the item's action.
mcp_action := object.get(mcp_item, "action", "read") if {
	input.mcp.phase in {"call", "list"}
	is_object(mcp_item)
}

# Protocol requests, notifications and answers to the server's own requests: reading.
else := "read" if {
	input.mcp.phase == "call"
	input.mcp.method in mcp_protocol_methods
}

else := "read" if input.mcp.phase in {"notification", "response"}

# The 2025-11-25 GET stream and DELETE of a session.
else := "read" if {
	input.mcp.phase == "transport"
	method in {"GET", "DELETE"}
}

# An argument constraint in the catalogue: arguments.<name> lists the values allowed.
deny contains sprintf("%s %s: argument %s is not allowed", [input.mcp.method, input.mcp.name, name]) if {
	is_mcp
	input.mcp.phase == "call"
	some name, allowed in object.get(mcp_item, "arguments", {})
	not object.get(mcp_arguments, name, null) in allowed
}

mcp_arguments := input.mcp.arguments if is_object(input.mcp.arguments)

else := {}

deny contains sprintf("%s %v is not in the catalogue of tool %s", [input.mcp.method, input.mcp.name, tool_id]) if {
	is_mcp
	tool
	not action
}

# ------------------------------------------------------------------------------------------------------

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

# Every action on a high-risk tool, and every delete, is held for a human approval (but seeing an MCP tool in a
# list is not an action, and neither are the MCP items marked require_approval: false).
needs_approval if {
	action == "delete"
	not mcp_listing
}

needs_approval if {
	tool.risk == "high"
	not mcp_listing
}

needs_approval if {
	mcp_item.require_approval == true
	not mcp_listing
}

mcp_listing if input.mcp.phase == "list"

# The approval terms: the catalogue's defaults (data.sidecar.approval), overridden per tool (tools.<id>.approval).
# The sidecar reads them from the decision's "approval" object (see docs/approvals.md).
default base_approval_terms := {}

base_approval_terms := data.sidecar.approval

approval_terms := object.union(base_approval_terms, object.get(tool, "approval", {}))

min_approvals := object.get(approval_terms, "min_approvals", 1)

# Released by the sidecar once an approval is consumed: input.approval = {"id", "approved_by": [...], "approved_at"}.
# The policy checks the count itself, so a sidecar misconfigured with a lower default cannot weaken it.
approved if {
	is_object(input.approval)
	is_array(input.approval.approved_by)
	count({a | some a in input.approval.approved_by}) >= min_approvals
}

# Why a request is refused. Each rule adds one reason; the decision reports them all.
deny contains "request has no SPIFFE ID" if not principal

deny contains "request names no tool" if not tool_id

deny contains "request has no HTTP method" if not method

deny contains sprintf("tool %q is not in the catalogue", [tool_id]) if not tool

deny contains sprintf("method %s is not allowed", [method]) if {
	not is_mcp
	not action
}

deny contains msg if {
	tool
	action
	not action in granted_actions
	msg := sprintf("%s may not %s on tool %s", [principal, action, tool_id])
}

deny contains sprintf("%s on tool %s requires a task grant", [action, tool_id]) if {
	action in {"write", "delete"}
	not has_task
	not mcp_listing
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

allow_reason := sprintf("%s may %s on tool %s (approval %s by %s)", [principal, action, tool_id, input.approval.id, concat(", ", input.approval.approved_by)]) if {
	needs_approval
	approved
} else := sprintf("%s may %s on tool %s", [principal, action, tool_id])

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
	"approval": approval_terms,
	"reason": sprintf("%s on tool %s needs a human approval", [action, tool_id]),
} if {
	needs_approval
	not approved
} else := {
	"allowed": true,
	"reason": allow_reason,
	"credential": {"scopes": scopes, "ttl_seconds": ttl_seconds},
	"headers": task_headers,
}
