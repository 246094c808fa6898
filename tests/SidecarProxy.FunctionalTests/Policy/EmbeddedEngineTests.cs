using SidecarProxy.TestSupport;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Observability;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>The embedded engine over real mTLS: the shipped policies, and hot reload of a policy directory.</summary>
public sealed class EmbeddedEngineTests
{
    private const string DemoAgent = "spiffe://sidecar.dev/agent/demo";

    [Fact]
    public async Task ShippedPolicy_DemoAgentReadIsForwarded_WriteWithoutTaskIsDenied()
    {
        await using var proxy = await PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = RepositoryPaths.Policies }, "sidecar.dev");
        using var client = proxy.Agent(DemoAgent);

        using var read = await client.GetAsync(new Uri("/tools/demo/hello", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("/hello", Assert.Single(proxy.Upstream.Requests).Path);

        using var write = await client.PostAsync(new Uri("/tools/demo/hello", UriKind.Relative), new StringContent("{}"));
        var problem = await Problem.ReadAsync(write);
        Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        Assert.Contains("write on tool demo requires a task grant", problem.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single(proxy.Upstream.Requests);
    }

    [Fact]
    public async Task ShippedPolicy_UnknownAgentIsDenied()
    {
        await using var proxy = await PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = RepositoryPaths.Policies }, "sidecar.dev");
        using var client = proxy.Agent("spiffe://sidecar.dev/agent/stranger");
        using var response = await client.GetAsync(new Uri("/tools/demo/hello", UriKind.Relative));
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        Assert.Equal("spiffe://sidecar.dev/agent/stranger may not read on tool demo", problem.Body.GetProperty("detail").GetString());
        Assert.Empty(proxy.Upstream.Requests);
    }

    [Fact]
    public async Task ChangedPolicy_TakesEffectWithinASecond_BrokenPolicyKeepsLastGood()
    {
        var dir = Directory.CreateTempSubdirectory("sidecar-policy-").FullName;
        var file = Path.Combine(dir, "authz.rego");
        await File.WriteAllTextAsync(file, Policy(allowed: true));
        try
        {
            await using var proxy = await PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = dir });
            using var client = proxy.Agent("spiffe://agents.test/agent/a");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/tools/demo/x", UriKind.Relative))).StatusCode);

            await File.WriteAllTextAsync(file, Policy(allowed: false));
            var denied = await PollUntilAsync(client, HttpStatusCode.Forbidden, TimeSpan.FromSeconds(1.5));
            Assert.Equal(HttpStatusCode.Forbidden, denied);

            var forwardedBefore = proxy.Upstream.Requests.Count;
            var metrics = proxy.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
            var failuresBefore = metrics.PolicyReloadFailures.Value;
            await File.WriteAllTextAsync(file, "package sidecar.authz\n\ndecision := {\"allowed\": true\n");

            // Give the watcher and the poll time to see the broken file, bounded; the last good policy stays.
            await Eventually.TrueAsync(() => metrics.PolicyReloadFailures.Value != failuresBefore);

            Assert.True(metrics.PolicyReloadFailures.Value > failuresBefore);
            using var stillDenied = await client.GetAsync(new Uri("/tools/demo/x", UriKind.Relative));
            var problem = await Problem.ReadAsync(stillDenied);
            Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
            Assert.Equal(forwardedBefore, proxy.Upstream.Requests.Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task BrokenPolicyAtStartup_StopsWithEveryError()
    {
        var dir = Directory.CreateTempSubdirectory("sidecar-policy-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "a.rego"), "package a\n\nx := \n");
        await File.WriteAllTextAsync(Path.Combine(dir, "data.json"), "{oops");
        try
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = dir }));
            Assert.Contains("a.rego:", e.Message, StringComparison.Ordinal);
            Assert.Contains("data.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Policy(bool allowed) => $$"""
        package sidecar.authz

        import rego.v1

        decision := {"allowed": {{(allowed ? "true" : "false")}}, "reason": "test policy"}
        """;

    private static async Task<HttpStatusCode> PollUntilAsync(HttpClient client, HttpStatusCode wanted, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        HttpStatusCode last;
        do
        {
            using var response = await client.GetAsync(new Uri("/tools/demo/x", UriKind.Relative));
            last = response.StatusCode;
            if (last == wanted)
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        return last;
    }
}
