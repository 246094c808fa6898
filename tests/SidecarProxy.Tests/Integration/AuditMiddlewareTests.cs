using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Audit;
using SidecarProxy.Model;
using SidecarProxy.Tests.Audit;
using SidecarProxy.Identity;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Integration;

/// <summary>The audit middleware records known agents only and never waits for the audit destination.</summary>
public sealed class AuditMiddlewareTests : IDisposable
{
    private readonly TestCa _root = TestCa.CreateRoot("example.org");

    [Fact]
    public async Task StalledDestination_RequestsDoNotWaitAndDropsAreCounted()
    {
        var destination = new StalledStream();
        await using var writer = new AuditWriter(destination, ownsDestination: false, "test", capacity: 1, NullLogger.Instance);
        var metrics = new SidecarMetrics();
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var middleware = new AuditMiddleware(_ => Task.CompletedTask, writer, metrics, TimeProvider.System);

        try
        {
            // The first record occupies the stalled writer, the second the queue; the rest can only be dropped.
            for (var i = 0; i < 5; i++)
            {
                await middleware.InvokeAsync(Context(leaf)).WaitAsync(TimeSpan.FromSeconds(10));
            }

            Assert.InRange(metrics.AuditDropped.Value, 3, 4);
        }
        finally
        {
            // Otherwise disposing the writer would wait for the stalled destination forever.
            destination.Release();
        }
    }

    [Fact]
    public async Task UnknownAgent_IsNotRecordedAndKnownAgentIs()
    {
        var destination = new CapturingStream();
        var writer = new AuditWriter(destination, ownsDestination: false, "test", capacity: 10, NullLogger.Instance);
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var middleware = new AuditMiddleware(c => { c.Response.StatusCode = 404; return Task.CompletedTask; }, writer, new SidecarMetrics(), TimeProvider.System);

        await middleware.InvokeAsync(new DefaultHttpContext());
        await middleware.InvokeAsync(Context(leaf));
        await writer.DisposeAsync();

        var line = JsonDocument.Parse(Assert.Single(destination.Lines)).RootElement;
        Assert.Equal("spiffe://example.org/agent/a", line.GetProperty("spiffe_id").GetString());
        Assert.Equal(404, line.GetProperty("status").GetInt32());
        Assert.Equal("/tools/x/y", line.GetProperty("path").GetString());
    }

    public void Dispose() => _root.Dispose();

    private DefaultHttpContext Context(System.Security.Cryptography.X509Certificates.X509Certificate2 leaf)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/tools/x/y";
        context.Request.QueryString = new QueryString("?token=secret");
        var result = new X509SvidValidator(TimeProvider.System).Validate(leaf, null, new Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2Collection> { ["example.org"] = [_root.Certificate] });
        context.Features.Set<IPeerIdentityFeature>(new PeerIdentityFeature(result));
        return context;
    }
}
