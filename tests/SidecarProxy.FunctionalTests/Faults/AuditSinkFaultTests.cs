using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Audit;
using SidecarProxy.FunctionalTests.Policy;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Faults;

/// <summary>
/// The audit destination becomes unwritable while the sidecar runs: it is a named pipe (a log shipper's) whose reader
/// goes away, so every write fails (EPIPE). Unlike a file made read-only, this fails for root too. The request that
/// was being served when it broke is counted as a lost record; after that <c>Sidecar:Audit:OnFailure</c> decides, as
/// for a full disk (<see cref="Diagnostics.AuditFailureTests"/>): deny refuses with 503 audit_unavailable and forwards
/// nothing, serve forwards; both are counted.
/// </summary>
public sealed class AuditSinkFaultTests : IDisposable
{
    private const string Agent = "spiffe://agents.test/agent/a";
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-auditpipe-").FullName;

    public AuditSinkFaultTests() =>
        File.WriteAllText(Path.Combine(_directory, "allow.rego"), "package sidecar.authz\n\ndecision := {\"allowed\": true}\n");

    // coreutils' mkfifo: .NET has no API for it, and P/Invoke would make the test project unsafe.
    private static async Task MakeFifoAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "600", path]);
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Theory]
    [InlineData("deny", 503)]
    [InlineData("serve", 200)]
    public async Task ReaderOfThePipeGone_OnFailureDecides_AndTheLossIsCounted(string onFailure, int expected)
    {
        Assert.True(OperatingSystem.IsLinux(), "named pipes: Linux only, like the sidecar's container");
        var pipe = Path.Combine(_directory, "audit.pipe");
        await MakeFifoAsync(pipe);

        // Opening either end of a FIFO waits for the other: the reader opens while the sidecar opens the writer.
        var reader = Task.Run(() => new FileStream(pipe, FileMode.Open, FileAccess.Read));
        await using var proxy = await PolicyProxy.StartAsync(new()
        {
            ["Sidecar:Policy:Directory"] = _directory,
            ["Sidecar:Audit:Path"] = pipe,
            ["Sidecar:Audit:OnFailure"] = onFailure,
        });
        var services = proxy.Proxy.App.Services;
        var writer = services.GetRequiredService<AuditWriter>();
        var metrics = services.GetRequiredService<SidecarMetrics>();
        using var client = proxy.Agent(Agent);

        await using (var stream = await reader)
        {
            using var first = await client.GetAsync(new Uri("/tools/demo/first", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var line = new byte[4096];
            Assert.True(await stream.ReadAsync(line) > 0, "the first record reached the reader");
        }

        // The reader is gone: the next record cannot be written.
        using (var second = await client.GetAsync(new Uri("/tools/demo/second", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.True(await Eventually.TrueAsync(() => writer.IsFaulted));
        Assert.True(metrics.AuditWriteFailures.Value >= 1);

        using var third = await client.GetAsync(new Uri("/tools/demo/third", UriKind.Relative));

        Assert.Equal(expected, (int)third.StatusCode);
        var forwarded = proxy.Upstream.Requests.Select(r => r.Path).ToList();
        if (expected == 503)
        {
            Assert.Equal("audit_unavailable", (await Problem.ReadAsync(third)).Code);
            Assert.Equal(["/first", "/second"], forwarded);
            Assert.Equal(1, metrics.AuditUnavailable.WithLabels("deny").Value);
            Assert.Equal(1, metrics.Denials.WithLabels("audit_unavailable").Value);
        }
        else
        {
            Assert.Equal(["/first", "/second", "/third"], forwarded);
            Assert.Equal(1, metrics.AuditUnavailable.WithLabels("serve").Value);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
