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

test_high_risk_tool_requires_approval if {
	d := authz.decision with input as req("spiffe://agents.example.org/finance/payer/eu", "POST", "payments", task_in(60))
	d.allowed == false
	d.require_approval == true
}

test_high_risk_tool_allowed_once_approved if {
	inp := object.union(req("spiffe://agents.example.org/finance/payer/eu", "POST", "payments", task_in(60)), {"approval": {"id": "a-1", "approved": true}})
	d := authz.decision with input as inp
	d.allowed == true
	d.credential.ttl_seconds == 120
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

test_delete_on_never_delete_tool_quarantines_the_task if {
	d := authz.decision with input as req(researcher, "DELETE", "github", task_in(60))
	d.allowed == false
	contains(d.reason, "tool github never allows delete: task t-1 is quarantined")
	d.contain == {"scope": "task", "action": "quarantine", "reason": "task t-1 tried to delete on tool github (never_delete)"}
}

test_delete_on_never_delete_tool_without_task_is_denied_without_contain if {
	d := authz.decision with input as req(researcher, "DELETE", "github", null)
	d.allowed == false
	not d.contain
}

test_reads_and_writes_on_never_delete_tool_have_no_contain if {
	r := authz.decision with input as req(researcher, "GET", "github", task_in(60))
	r.allowed == true
	not r.contain
	w := authz.decision with input as req(researcher, "POST", "github", task_in(60))
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
