using System.Collections.Concurrent;
using System.ComponentModel;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>The calls the real MCP server received, by tool name and arguments.</summary>
internal sealed class ToolCalls
{
    public ConcurrentQueue<string> Calls { get; } = new();
}

/// <summary>The real MCP server's tools (ModelContextProtocol.AspNetCore): each records its call.</summary>
[McpServerToolType]
internal sealed class GitHubTools(ToolCalls calls)
{
    [McpServerTool(Name = "list_issues"), Description("Lists the issues of a repository")]
    public string ListIssues(string repo)
    {
        calls.Calls.Enqueue($"list_issues {repo}");
        return $"issues of {repo}: #1";
    }

    [McpServerTool(Name = "create_issue"), Description("Opens an issue")]
    public string CreateIssue(string repo, string title)
    {
        calls.Calls.Enqueue($"create_issue {repo} {title}");
        return $"created {repo}#2 {title}";
    }

    [McpServerTool(Name = "delete_repository"), Description("Deletes a repository")]
    public string DeleteRepository(string repo)
    {
        calls.Calls.Enqueue($"delete_repository {repo}");
        return $"deleted {repo}";
    }
}

/// <summary>A real MCP server built with the SDK, on 127.0.0.1:0, endpoint <c>/mcp</c>.</summary>
internal sealed class SdkMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SdkMcpServer(WebApplication app, ToolCalls calls)
    {
        _app = app;
        Calls = calls;
    }

    public ToolCalls Calls { get; }

    public Uri Url => new(_app.Urls.First());

    public static async Task<SdkMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var calls = new ToolCalls();
        builder.Services.AddSingleton(calls);
        builder.Services.AddMcpServer()
            .WithHttpTransport(o => o.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.StatefulForInitializeClients)
            .WithTools<GitHubTools>();
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        return new SdkMcpServer(app, calls);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A hand-written MCP upstream: the test supplies the handler; every POST body it got is recorded.</summary>
internal sealed class StubMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubMcpServer(WebApplication app) => _app = app;

    public ConcurrentQueue<string> Bodies { get; } = new();

    /// <summary>The Authorization header of every request (empty string when absent).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    public Func<HttpContext, string, Task> Handler { get; set; } = (context, _) =>
    {
        context.Response.StatusCode = 202;
        return Task.CompletedTask;
    };

    public Uri Url => new(_app.Urls.First());

    public static async Task<StubMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubMcpServer(app);
        app.Map("/{**rest}", async context =>
        {
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            stub.Bodies.Enqueue(body);
            stub.Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
            await stub.Handler(context, body);
        });
        await app.StartAsync();
        return stub;
    }

    public static async Task JsonAsync(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The sidecar with an MCP route <c>/tools/github-mcp/</c> to an upstream, deciding with a test Rego policy.</summary>
internal static class McpBed
{
    public const string Tool = "github-mcp";
    public const string Researcher = SidecarTestBed.AgentId;
    public const string Reader = "spiffe://agents.test/agent/reader";

    /// <summary>
    /// Researcher may see and call every tool (create_issue only for repo acme/app); reader sees and calls only
    /// list_issues. Protocol methods, notifications and transport requests are allowed to both; nobody else gets anything.
    /// </summary>
    public const string Policy = """
        package sidecar.authz

        import rego.v1

        principal := input.attributes.source.principal

        visible := {
            "spiffe://agents.test/agent/researcher": {"list_issues", "create_issue", "delete_repository", "read_only"},
            "spiffe://agents.test/agent/reader": {"list_issues", "read_only"},
        }

        protocol := {"initialize", "ping", "server/discover", "tools/list", "prompts/list", "resources/list"}

        known if visible[principal]

        default decision := {"allowed": false, "reason": "not allowed"}

        decision := {"allowed": true, "reason": "protocol"} if {
            known
            input.mcp.phase in {"transport", "notification", "response"}
            not input.mcp.method == "notifications/forbidden"
        }

        decision := {"allowed": true, "reason": "protocol"} if {
            known
            input.mcp.phase == "call"
            input.mcp.method in protocol
        }

        decision := {"allowed": true, "reason": "visible"} if {
            input.mcp.phase == "list"
            input.mcp.name in visible[principal]
        }

        decision := {"allowed": true, "reason": "call"} if {
            input.mcp.phase == "call"
            input.mcp.method == "tools/call"
            input.mcp.name in visible[principal]
            arguments_ok
        }

        arguments_ok if input.mcp.name != "create_issue"

        arguments_ok if input.mcp.arguments.repo == "acme/app"
        """;

    public static Task<(SidecarTestBed Bed, TempDirectory Policy)> StartAsync(Uri upstream, params (string Key, string? Value)[] extra) =>
        StartWithPolicyAsync(upstream, Policy, extra);

    public static async Task<(SidecarTestBed Bed, TempDirectory Policy)> StartWithPolicyAsync(Uri upstream, string rego, params (string Key, string? Value)[] extra)
    {
        var policy = new TempDirectory();
        policy.Write("authz.rego", rego);
        var builder = SidecarTestBed.Create()
            .WithSetting("Sidecar:Policy:Directory", policy.Path)
            .WithSetting($"ReverseProxy:Routes:{Tool}:ClusterId", Tool)
            .WithSetting($"ReverseProxy:Routes:{Tool}:Match:Path", $"/tools/{Tool}/{{**rest}}")
            .WithSetting($"ReverseProxy:Routes:{Tool}:Metadata:Tool", Tool)
            .WithSetting($"ReverseProxy:Routes:{Tool}:Metadata:Protocol", "mcp")
            .WithSetting($"ReverseProxy:Routes:{Tool}:Transforms:0:PathRemovePrefix", $"/tools/{Tool}")
            .WithSetting($"ReverseProxy:Clusters:{Tool}:Destinations:d1:Address", upstream.ToString());
        foreach (var (key, value) in extra)
        {
            builder.WithSetting(key, value);
        }

        return (await builder.StartAsync(), policy);
    }

    public static Uri Endpoint(SidecarTestBed bed, string path = "mcp") => new(bed.Proxy.AgentUrl, $"/tools/{Tool}/{path}");
}
