using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.FunctionalTests.Policy;
using SidecarProxy.Observability;
using SidecarProxy.Policy.Embedded;

namespace SidecarProxy.FunctionalTests.Diagnostics;

/// <summary>
/// A runtime policy error (here a conflict on some inputs) is logged as <c>policy eval</c> prints it, with file
/// and line and without a stack trace, once per distinct error and policy revision; every occurrence is counted,
/// and every request that hits it fails closed with 503 policy_unavailable.
/// </summary>
public sealed class PolicyEvalErrorTests : IDisposable
{
    // For a POST, line 6 conflicts with line 5 (the engine, like `policy eval`, names the rule that gave a second
    // output); a GET has one answer.
    private const string ConflictingPolicy = """
        package sidecar.authz

        import rego.v1

        decision := {"allowed": true} if input.attributes.request.http.method == "POST"
        decision := {"allowed": false} if input.attributes.request.http.method == "POST"
        decision := {"allowed": true} if input.attributes.request.http.method == "GET"
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-conflict-").FullName;

    [Fact]
    public async Task Conflict_ThreeRequests_OneLocatedLogLine_CounterThree_EachIs503()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "conflict.rego"), ConflictingPolicy);
        var logs = new CapturingLoggerProvider();
        await using var proxy = await PolicyProxy.StartAsync(
            new() { ["Sidecar:Policy:Directory"] = _directory, ["Logging:LogLevel:Default"] = "Information" },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = proxy.Agent("spiffe://agents.test/agent/a");

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync(new Uri($"/tools/demo/{i}", UriKind.Relative), new StringContent("{}"));
            var problem = await Problem.ReadAsync(response);
            Assert.Equal((503, "policy_unavailable"), (problem.Status, problem.Code));
        }

        using var get = await client.GetAsync(new Uri("/tools/demo/ok", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("/ok", Assert.Single(proxy.Upstream.Requests).Path);

        var line = Assert.Single(logs.Lines, l => l.Contains("multiple outputs", StringComparison.Ordinal));
        Assert.Contains("conflict.rego:6: eval_conflict_error: complete rules must not produce multiple outputs", line, StringComparison.Ordinal);
        Assert.StartsWith("Error ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("   at ", StringComparison.Ordinal));
        var metrics = proxy.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
        Assert.Equal(3, metrics.PolicyEvalErrors.WithLabels("eval_conflict_error").Value);

        // A new revision that still conflicts logs it again, once.
        await File.WriteAllTextAsync(Path.Combine(_directory, "conflict.rego"), ConflictingPolicy + "\n# revised\n");
        Assert.True(proxy.Proxy.App.Services.GetRequiredService<EmbeddedPolicyEngine>().Reload());
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.PostAsync(new Uri($"/tools/demo/r{i}", UriKind.Relative), new StringContent("{}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(2, logs.Lines.Count(l => l.Contains("conflict.rego:6: eval_conflict_error", StringComparison.Ordinal)));
        Assert.Equal(5, metrics.PolicyEvalErrors.WithLabels("eval_conflict_error").Value);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
