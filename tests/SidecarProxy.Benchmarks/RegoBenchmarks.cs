using BenchmarkDotNet.Attributes;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Benchmarks;

/// <summary>Compile and evaluate a realistic authorization policy (tool catalogue and grants in data).</summary>
[MemoryDiagnoser]
public class RegoBenchmarks
{
    public const string Policy = """
        package sidecar.authz

        import rego.v1

        # HTTP method to the action it performs on a tool.
        method_actions := {
            "GET": "read", "HEAD": "read", "OPTIONS": "read",
            "POST": "write", "PUT": "write", "PATCH": "write",
            "DELETE": "admin",
        }

        principal := input.attributes.source.principal

        action := method_actions[input.attributes.request.http.method]

        tool := data.catalogue.tools[input.tool.id]

        trusted_domain if startswith(principal, "spiffe://agents.example.org/")

        agent_name := name if {
            parts := split(principal, "/")
            name := parts[count(parts) - 1]
        }

        # Grants match agents by glob on their SPIFFE ID.
        matching_grants contains g if {
            some g in data.grants
            glob.match(g.agent, ["/"], principal)
            g.tool == input.tool.id
        }

        granted_actions contains a if {
            some g in matching_grants
            some a in g.actions
        }

        task_ok if not tool.requires_task
        task_ok if {
            tool.requires_task
            input.task != null
            input.task.claims.purpose in tool.purposes
        }

        deny contains "untrusted trust domain" if not trusted_domain
        deny contains "unknown tool" if not tool
        deny contains "unsupported method" if not action
        deny contains msg if {
            action
            not action in granted_actions
            msg := sprintf("agent %s may not %s on %s", [agent_name, action, input.tool.id])
        }
        deny contains "task required" if not task_ok
        deny contains "path not allowed" if {
            some prefix in tool.blocked_paths
            startswith(input.attributes.request.http.path, prefix)
        }

        default allow := false

        allow if count(deny) == 0

        scopes := [s | some g in matching_grants; some s in g.scopes]

        decision := {
            "allowed": allow,
            "reason": reason,
            "credential": {"scopes": scopes, "ttl_seconds": tool.ttl_seconds},
            "headers": {"x-agent-task": object.get(input, ["task", "id"], "none")},
        }

        reason := "allowed" if allow
        reason := concat("; ", sort(deny)) if not allow
        """;

    public const string Data = """
        {
          "catalogue": {"tools": {
            "github": {"requires_task": true, "purposes": ["triage", "release"], "ttl_seconds": 300, "blocked_paths": ["/admin", "/orgs/acme/settings"]},
            "jira": {"requires_task": false, "purposes": [], "ttl_seconds": 600, "blocked_paths": []},
            "search": {"requires_task": false, "purposes": [], "ttl_seconds": 60, "blocked_paths": []}
          }},
          "grants": [
            {"agent": "spiffe://agents.example.org/agent/researcher", "tool": "github", "actions": ["read", "write"], "scopes": ["issues:write", "repo:read"]},
            {"agent": "spiffe://agents.example.org/agent/*", "tool": "search", "actions": ["read"], "scopes": ["search"]},
            {"agent": "spiffe://agents.example.org/agent/researcher", "tool": "jira", "actions": ["read"], "scopes": ["jira:read"]},
            {"agent": "spiffe://agents.example.org/agent/builder", "tool": "github", "actions": ["read", "write", "admin"], "scopes": ["repo:admin"]}
          ]
        }
        """;

    public const string Input = """
        {
          "attributes": {
            "source": {"principal": "spiffe://agents.example.org/agent/researcher"},
            "request": {"http": {"method": "POST", "path": "/repos/acme/app/issues", "host": "api.github.com", "headers": {"content-type": "application/json"}}}
          },
          "parsed_path": ["repos", "acme", "app", "issues"],
          "tool": {"id": "github", "labels": {"risk": "write"}},
          "task": {"id": "t-7f3c", "claims": {"purpose": "triage"}}
        }
        """;

    /// <summary>A request the shipped policy refuses (unknown agent writing without a task): the deny rules all run.</summary>
    public const string DeniedInput = """
        {
          "attributes": {
            "source": {"principal": "spiffe://agents.example.org/agent/intruder"},
            "request": {"http": {"method": "POST", "path": "/repos/acme/app/issues", "host": "api.github.com"}, "time": "2026-01-01T00:00:00Z"}
          },
          "tool": {"id": "github", "labels": {"risk": "write"}}
        }
        """;

    private CompiledPolicy _policy = null!;
    private RegoValue _data = null!;
    private RegoValue _input = null!;
    private CompiledPolicy _shipped = null!;
    private RegoValue _deniedInput = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = RegoJson.Parse(Data);
        _input = RegoJson.Parse(Input);
        _policy = RegoCompiler.Compile([new RegoModuleSource("authz.rego", Policy)], _data);

        var dir = BenchmarkPaths.Policies;
        _shipped = RegoCompiler.Compile(
            [new RegoModuleSource("authz.rego", File.ReadAllText(Path.Combine(dir, "authz.rego")))],
            RegoYaml.Parse(File.ReadAllText(Path.Combine(dir, "data.yaml"))));
        _deniedInput = RegoJson.Parse(DeniedInput);
        if (_shipped.Evaluate("data.sidecar.authz.decision", _deniedInput) is not RegoObject decision || !RegoBoolean.False.Equals(decision["allowed"]))
        {
            throw new InvalidOperationException("the shipped policy should refuse the denied benchmark request");
        }
    }

    [Benchmark]
    public CompiledPolicy Compile() => RegoCompiler.Compile([new RegoModuleSource("authz.rego", Policy)], _data);

    [Benchmark]
    public RegoValue? EvaluateDecision() => _policy.Evaluate("data.sidecar.authz.decision", _input);

    [Benchmark]
    public RegoValue? EvaluateAllow() => _policy.Evaluate("data.sidecar.authz.allow", _input);

    /// <summary>The shipped policy (policies/) refusing a request: every deny rule, sprintf and the sorted reasons.</summary>
    [Benchmark]
    public RegoValue? EvaluateShippedDenied() => _shipped.Evaluate("data.sidecar.authz.decision", _deniedInput);
}
