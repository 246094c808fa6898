using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Audit;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Policy;
using SidecarProxy.Observability;

namespace SidecarProxy.FunctionalTests.Diagnostics;

/// <summary>
/// The audit destination fails (the file is /dev/full: every write is ENOSPC, a full disk). The first request is
/// served (nothing has failed yet) and writing its record fails; after that <c>Sidecar:Audit:OnFailure</c> decides:
/// deny refuses with 503 audit_unavailable and forwards nothing, serve forwards; both count.
/// </summary>
public sealed class AuditFailureTests : IDisposable
{
    private const string Agent = "spiffe://agents.test/agent/a";
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-auditfail-").FullName;

    public AuditFailureTests() =>
        File.WriteAllText(Path.Combine(_directory, "allow.rego"), "package sidecar.authz\n\ndecision := {\"allowed\": true}\n");

    [Theory]
    [InlineData(null, 503)]
    [InlineData("deny", 503)]
    [InlineData("serve", 200)]
    public async Task DiskFull_OnFailureDecides(string? onFailure, int expected)
    {
        await using var proxy = await PolicyProxy.StartAsync(new()
        {
            ["Sidecar:Policy:Directory"] = _directory,
            ["Sidecar:Audit:Path"] = "/dev/full",
            ["Sidecar:Audit:OnFailure"] = onFailure,
        });
        var services = proxy.Proxy.App.Services;
        var writer = services.GetRequiredService<AuditWriter>();
        var metrics = services.GetRequiredService<SidecarMetrics>();
        using var client = proxy.Agent(Agent);

        using var first = await client.GetAsync(new Uri("/tools/demo/first", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        for (var i = 0; i < 600 && !writer.IsFaulted; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(writer.IsFaulted);
        Assert.True(metrics.AuditWriteFailures.Value >= 1);

        using var second = await client.GetAsync(new Uri("/tools/demo/second", UriKind.Relative));

        Assert.Equal(expected, (int)second.StatusCode);
        var forwarded = proxy.Upstream.Requests.Select(r => r.Path).ToList();
        if (expected == 503)
        {
            var problem = await Problem.ReadAsync(second);
            Assert.Equal("audit_unavailable", problem.Code);
            Assert.Equal(["/first"], forwarded);
            Assert.Equal(1, metrics.AuditUnavailable.WithLabels("deny").Value);
            Assert.Equal(1, metrics.Denials.WithLabels("audit_unavailable").Value);
        }
        else
        {
            Assert.Equal(["/first", "/second"], forwarded);
            Assert.Equal(1, metrics.AuditUnavailable.WithLabels("serve").Value);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
