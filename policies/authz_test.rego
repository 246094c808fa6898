# Unit tests for the shipped policy: run with `SidecarProxy policy test policies/` (or `opa test policies/`).
package sidecar.authz_test

import rego.v1

import data.sidecar.authz

request_time := "2026-11-25T12:00:00Z"

# An input as the sidecar builds it, for one principal, method and tool, with an optional task.
req(principal, method, tool_id, task) := {
	"attributes": {
		"source": {"principal": principal, "certificate_fingerprint": "sha256:00"},
		"request": {
			"time": request_time,
			"http": {"method": method, "path": "/x", "host": "127.0.0.1", "scheme": "https", "headers": {}},
		},
	},
	"parsed_path": ["x"],
	"parsed_query": {},
	"source_principal": principal,
	"task": task,
	"tool": {"id": tool_id, "labels": {}},
	"approval": null,
}

demo_agent := "spiffe://sidecar.dev/agent/demo"

researcher := "spiffe://agents.example.org/agent/researcher"

task_in(minutes) := {
	"id": "t-1",
	"issuer": "orchestrator",
	"expires_at": time.format([time.parse_rfc3339_ns(request_time) + ((minutes * 60) * 1000000000), "UTC", "2006-01-02T15:04:05Z07:00"]),
	"claims": {},
}

test_demo_agent_may_read_demo if {
	d := authz.decision with input as req(demo_agent, "GET", "demo", null)
	d.allowed == true
	d.credential.scopes == ["demo:read"]
	d.credential.ttl_seconds == 300
}

test_demo_agent_write_without_task_is_denied if {
	d := authz.decision with input as req(demo_agent, "POST", "demo", null)
	d.allowed == false
	contains(d.reason, "write on tool demo requires a task grant")
}

test_demo_agent_write_with_task_is_allowed if {
	d := authz.decision with input as req(demo_agent, "POST", "demo", task_in(60))
	d.allowed == true
	d.credential.scopes == ["demo:read", "demo:write"]
	d.headers == {"x-sidecar-task": "t-1"}
}

test_ttl_is_bounded_by_task_expiry if {
	d := authz.decision with input as req(demo_agent, "POST", "demo", task_in(2))
	d.credential.ttl_seconds == 120
}

test_expired_task_is_denied if {
	d := authz.decision with input as req(demo_agent, "POST", "demo", task_in(-1))
	d.allowed == false
	contains(d.reason, "task t-1 has expired")
}

test_task_can_narrow_tools if {
	task := object.union(task_in(60), {"claims": {"tools": ["github"]}})
	d := authz.decision with input as req(demo_agent, "GET", "demo", task)
	d.allowed == false
	contains(d.reason, "task t-1 is not allowed to use tool demo")
}

test_unknown_agent_is_denied if {
	d := authz.decision with input as req("spiffe://sidecar.dev/agent/stranger", "GET", "demo", null)
	d.allowed == false
	d.reason == "spiffe://sidecar.dev/agent/stranger may not read on tool demo"
}

test_unknown_tool_is_denied if {
	d := authz.decision with input as req(demo_agent, "GET", "nope", null)
	d.allowed == false
	contains(d.reason, `tool "nope" is not in the catalogue`)
}

test_unknown_method_is_denied if {
	d := authz.decision with input as req(demo_agent, "TRACE", "demo", null)
	d.allowed == false
	contains(d.reason, "method TRACE is not allowed")
}

test_delete_needs_a_grant if {
	d := authz.decision with input as req(demo_agent, "DELETE", "demo", task_in(60))
	d.allowed == false
	contains(d.reason, "may not delete on tool demo")
}

test_pattern_grant_allows_read if {
	d := authz.decision with input as req("spiffe://agents.example.org/agent/summarizer", "GET", "github", null)
	d.allowed == true
	d.credential.scopes == ["contents:read", "issues:read"]
	d.credential.ttl_seconds == 300
}

test_pattern_grant_does_not_allow_write if {
	d := authz.decision with input as req("spiffe://agents.example.org/agent/summarizer", "POST", "github", task_in(60))
	d.allowed == false
}

test_single_star_matches_one_segment_only if {
	d := authz.decision with input as req("spiffe://agents.example.org/agent/team/summarizer", "GET", "github", null)
	d.allowed == false
}

test_researcher_may_write_github_with_task if {
	d := authz.decision with input as req(researcher, "PATCH", "github", task_in(60))
	d.allowed == true
	d.credential.scopes == ["issues:write"]
}

payer := "spiffe://agents.example.org/finance/payer/eu"

approval_by(approvers) := {"id": "apr_1", "approved_by": approvers, "approved_at": request_time}

test_high_risk_tool_requires_approval if {
	d := authz.decision with input as req(payer, "POST", "payments", task_in(60))
	d.allowed == false
	d.require_approval == true
	d.approval == {"min_approvals": 2, "approver_roles": ["finance"], "ttl_seconds": 600}
	not d.credential
}

test_high_risk_tool_allowed_once_approved_by_two if {
	inp := object.union(req(payer, "POST", "payments", task_in(60)), {"approval": approval_by(["spiffe://ops/a", "spiffe://ops/b"])})
	d := authz.decision with input as inp
	d.allowed == true
	not d.require_approval
	d.credential.ttl_seconds == 120
	contains(d.reason, "approval apr_1 by spiffe://ops/a, spiffe://ops/b")
}

test_high_risk_tool_one_approver_is_not_enough if {
	inp := object.union(req(payer, "POST", "payments", task_in(60)), {"approval": approval_by(["spiffe://ops/a"])})
	d := authz.decision with input as inp
	d.allowed == false
	d.require_approval == true
}

test_the_same_approver_twice_counts_once if {
	inp := object.union(req(payer, "POST", "payments", task_in(60)), {"approval": approval_by(["spiffe://ops/a", "spiffe://ops/a"])})
	d := authz.decision with input as inp
	d.require_approval == true
}

test_old_approval_shape_is_not_an_approval if {
	inp := object.union(req(payer, "POST", "payments", task_in(60)), {"approval": {"id": "a-1", "approved": true}})
	d := authz.decision with input as inp
	d.require_approval == true
}

test_delete_requires_approval_with_the_default_terms if {
	d := authz.decision with input as req(researcher, "DELETE", "github", task_in(60))
	d.allowed == false
	d.require_approval == true
	d.approval == {"min_approvals": 1, "ttl_seconds": 900}
}

test_delete_allowed_once_approved if {
	inp := object.union(req(researcher, "DELETE", "github", task_in(60)), {"approval": approval_by(["spiffe://ops/a"])})
	d := authz.decision with input as inp
	d.allowed == true
	d.credential.scopes == ["repo:delete"]
}

test_delete_without_task_is_denied_not_held if {
	d := authz.decision with input as req(researcher, "DELETE", "github", null)
	d.allowed == false
	not d.require_approval
	contains(d.reason, "delete on tool github requires a task grant")
}

test_approval_does_not_override_a_denial if {
	inp := object.union(quarantine(req(researcher, "DELETE", "github", task_in(60))), {"approval": approval_by(["spiffe://ops/a"])})
	d := authz.decision with input as inp
	d.allowed == false
	contains(d.reason, "only reads are allowed")
}

test_reasons_are_all_reported if {
	d := authz.decision with input as req("spiffe://sidecar.dev/agent/stranger", "POST", "demo", null)
	d.reason == "spiffe://sidecar.dev/agent/stranger may not write on tool demo; write on tool demo requires a task grant"
}

test_missing_tool_is_denied_not_undefined if {
	inp := object.remove(req(demo_agent, "GET", "demo", null), ["tool"])
	d := authz.decision with input as inp
	d.allowed == false
	contains(d.reason, "request names no tool")
}

# Quarantine (input.containment): reads only, never a write scope.
quarantine(r) := object.union(r, {"containment": {"state": "quarantined", "reason": "suspicious egress", "since": request_time}})

test_quarantined_agent_may_still_read_with_read_scopes if {
	d := authz.decision with input as quarantine(req(researcher, "GET", "github", null))
	d.allowed == true
	d.credential.scopes == ["contents:read", "issues:read"]
}

test_quarantined_agent_write_is_denied_even_with_task if {
	d := authz.decision with input as quarantine(req(researcher, "POST", "github", task_in(60)))
	d.allowed == false
	contains(d.reason, "is quarantined (suspicious egress): only reads are allowed")
	not d.credential
}

test_quarantined_agent_delete_is_denied if {
	d := authz.decision with input as quarantine(req(demo_agent, "DELETE", "demo", task_in(60)))
	d.allowed == false
	contains(d.reason, "only reads are allowed")
}

test_containment_null_changes_nothing if {
	d := authz.decision with input as object.union(req(researcher, "POST", "github", task_in(60)), {"containment": null})
	d.allowed == true
}

# ---- MCP routes -----------------------------------------------------------------------------------

# An MCP message as the sidecar builds it: always a POST, with input.mcp describing the JSON-RPC message.
mcp_req(principal, phase, mcp_method, name, arguments, task) := object.union(req(principal, "POST", "github-mcp", task), {"mcp": {
	"protocol_version": "2025-11-25",
	"method": mcp_method,
	"id": 1,
	"name": name,
	"arguments": arguments,
	"session": null,
	"phase": phase,
}})

other_agent := "spiffe://agents.example.org/agent/summarizer"

test_mcp_initialize_and_lists_are_allowed_to_any_granted_agent if {
	authz.decision.allowed with input as mcp_req(other_agent, "call", "initialize", null, null, null)
	authz.decision.allowed with input as mcp_req(other_agent, "call", "tools/list", null, null, null)
	authz.decision.allowed with input as mcp_req(other_agent, "notification", "notifications/initialized", null, null, null)
}

test_mcp_ungranted_agent_gets_nothing if {
	d := authz.decision with input as mcp_req("spiffe://elsewhere.org/agent/x", "call", "initialize", null, null, null)
	d.allowed == false
}

test_mcp_read_tool_is_listed_and_callable if {
	authz.decision.allowed with input as mcp_req(other_agent, "list", "tools/list", "list_issues", null, null)
	d := authz.decision with input as mcp_req(other_agent, "call", "tools/call", "list_issues", {"repo": "acme/app"}, null)
	d.allowed == true
	d.credential.scopes == ["contents:read", "issues:read"]
}

test_mcp_write_tool_is_hidden_from_a_read_only_agent if {
	d := authz.decision with input as mcp_req(other_agent, "list", "tools/list", "create_issue", null, null)
	d.allowed == false
}

test_mcp_write_tool_is_listed_for_a_writer_without_a_task if {
	authz.decision.allowed with input as mcp_req(researcher, "list", "tools/list", "create_issue", null, null)
}

test_mcp_write_call_needs_a_task if {
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "create_issue", {"repo": "acme/app", "title": "t"}, null)
	d.allowed == false
	contains(d.reason, "requires a task grant")
}

test_mcp_argument_in_allow_list_is_allowed if {
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "create_issue", {"repo": "acme/app", "title": "t"}, task_in(60))
	d.allowed == true
	d.credential.scopes == ["issues:write"]
}

test_mcp_argument_outside_allow_list_is_denied if {
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "create_issue", {"repo": "evil/repo", "title": "t"}, task_in(60))
	d.allowed == false
	contains(d.reason, "argument repo is not allowed")
}

test_mcp_missing_constrained_argument_is_denied if {
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "create_issue", {"title": "t"}, task_in(60))
	d.allowed == false
}

test_mcp_destructive_tool_needs_approval if {
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "delete_repository", {"repo": "acme/app"}, task_in(60))
	d.require_approval == true
	d.allowed == false
}

test_mcp_destructive_tool_is_listed_without_approval if {
	d := authz.decision with input as mcp_req(researcher, "list", "tools/list", "delete_repository", null, null)
	d.allowed == true
}

test_mcp_unknown_tool_is_neither_listed_nor_callable if {
	not authz.decision.allowed with input as mcp_req(researcher, "list", "tools/list", "drop_database", null, null)
	d := authz.decision with input as mcp_req(researcher, "call", "tools/call", "drop_database", {}, task_in(60))
	d.allowed == false
	contains(d.reason, "not in the catalogue")
}

test_mcp_prompts_and_resources_follow_the_catalogue if {
	authz.decision.allowed with input as mcp_req(other_agent, "call", "prompts/get", "triage", {}, null)
	authz.decision.allowed with input as mcp_req(other_agent, "call", "resources/read", "repo://acme/app/README.md", null, null)
	not authz.decision.allowed with input as mcp_req(other_agent, "call", "resources/read", "repo://acme/secret", null, null)
}

test_mcp_transport_get_and_delete_are_allowed if {
	get := object.union(req(other_agent, "GET", "github-mcp", null), {"mcp": {"protocol_version": "2025-11-25", "method": null, "id": null, "name": null, "arguments": null, "session": "s1", "phase": "transport"}})
	authz.decision.allowed with input as get
	put := object.union(req(other_agent, "PUT", "github-mcp", null), {"mcp": {"protocol_version": "2025-11-25", "method": null, "id": null, "name": null, "arguments": null, "session": "s1", "phase": "transport"}})
	not authz.decision.allowed with input as put
}

test_non_mcp_routes_are_unchanged if {
	d := authz.decision with input as req(researcher, "GET", "github", null)
	d.allowed == true
}

test_delete_on_never_delete_tool_quarantines_the_task if {
	d := authz.decision with input as req(researcher, "DELETE", "wiki", task_in(60))
	d.allowed == false
	contains(d.reason, "tool wiki never allows delete: task t-1 is quarantined")
	d.contain == {"scope": "task", "action": "quarantine", "reason": "task t-1 tried to delete on tool wiki (never_delete)"}
}

test_delete_on_never_delete_tool_without_task_is_denied_without_contain if {
	d := authz.decision with input as req(researcher, "DELETE", "wiki", null)
	d.allowed == false
	not d.contain
}

test_reads_and_writes_on_never_delete_tool_have_no_contain if {
	r := authz.decision with input as req(researcher, "GET", "wiki", task_in(60))
	r.allowed == true
	not r.contain
	w := authz.decision with input as req(researcher, "POST", "wiki", task_in(60))
	w.allowed == true
	not w.contain
}

test_delete_on_other_tool_has_no_contain if {
	d := authz.decision with input as req(demo_agent, "DELETE", "demo", task_in(60))
	d.allowed == false
	not d.contain
}

test_route_label_never_delete_also_contains if {
	labelled := object.union(req(demo_agent, "DELETE", "demo", task_in(60)), {"tool": {"id": "demo", "labels": {"never_delete": "true"}}})
	d := authz.decision with input as labelled
	d.allowed == false
	d.contain.scope == "task"
	d.contain.action == "quarantine"
}
