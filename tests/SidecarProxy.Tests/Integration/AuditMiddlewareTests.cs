using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;
using SidecarProxy.Denials;
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
        var middleware = Middleware(_ => Task.CompletedTask, writer, metrics, AuditFailureMode.Serve);

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
        var middleware = Middleware(c => { c.Response.StatusCode = 404; return Task.CompletedTask; }, writer, new SidecarMetrics());

        await middleware.InvokeAsync(new DefaultHttpContext());
        await middleware.InvokeAsync(Context(leaf));
        await writer.DisposeAsync();

        var line = JsonDocument.Parse(Assert.Single(destination.Lines)).RootElement;
        Assert.Equal("spiffe://example.org/agent/a", line.GetProperty("spiffe_id").GetString());
        Assert.Equal(404, line.GetProperty("status").GetInt32());
        Assert.Equal("/tools/x/y", line.GetProperty("path").GetString());
    }

    [Fact]
    public async Task QueueFull_Deny_Is503AuditUnavailableAndNothingRunsFurther()
    {
        var destination = new CapturingStream();
        await using var writer = new AuditWriter(destination, ownsDestination: false, "test", capacity: 1, NullLogger.Instance);
        var metrics = new SidecarMetrics();
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var forwarded = 0;
        var middleware = Middleware(_ => { forwarded++; return Task.CompletedTask; }, writer, metrics, AuditFailureMode.Deny);

        // Another request in flight holds the only slot: this one's record would have no room.
        Assert.True(writer.TryReserve());
        var context = Context(leaf);
        context.Response.Body = new MemoryStream();
        await middleware.InvokeAsync(context);

        Assert.Equal(0, forwarded);
        Assert.Equal(503, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("audit_unavailable", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(1, metrics.AuditUnavailable.WithLabels("deny").Value);
        Assert.Equal(0, metrics.AuditUnavailable.WithLabels("serve").Value);

        // Its own record found no room either, and that is counted.
        Assert.Equal(1, metrics.AuditDropped.Value);
    }

    [Fact]
    public async Task QueueFull_Serve_ServesAndCounts()
    {
        var destination = new CapturingStream();
        await using var writer = new AuditWriter(destination, ownsDestination: false, "test", capacity: 1, NullLogger.Instance);
        var metrics = new SidecarMetrics();
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var forwarded = 0;
        var middleware = Middleware(_ => { forwarded++; return Task.CompletedTask; }, writer, metrics, AuditFailureMode.Serve);

        Assert.True(writer.TryReserve());
        var context = Context(leaf);
        await middleware.InvokeAsync(context);

        Assert.Equal(1, forwarded);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(1, metrics.AuditUnavailable.WithLabels("serve").Value);
        Assert.Equal(1, metrics.AuditDropped.Value);
    }

    [Theory]
    [InlineData("deny", 503, 0)]
    [InlineData("serve", 200, 1)]
    public async Task FailingDestination_OnFailureDecides(string onFailure, int status, int forwardedAfterFailure)
    {
        var mode = onFailure == "deny" ? AuditFailureMode.Deny : AuditFailureMode.Serve;
        var destination = new AlwaysFailingStream();
        var metrics = new SidecarMetrics();
        await using var writer = new AuditWriter(destination, ownsDestination: false, "failing", capacity: 100, NullLogger.Instance, metrics: metrics);
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var forwarded = 0;
        var middleware = Middleware(_ => { forwarded++; return Task.CompletedTask; }, writer, metrics, mode);

        // The first request is served: nothing has failed yet. Writing its record fails.
        await middleware.InvokeAsync(Context(leaf));
        await destination.Attempted.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 600 && !writer.IsFaulted; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(writer.IsFaulted);
        var context = Context(leaf);
        context.Response.Body = new MemoryStream();
        await middleware.InvokeAsync(context);

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(1 + forwardedAfterFailure, forwarded);
        Assert.Equal(1, metrics.AuditUnavailable.WithLabels(mode == AuditFailureMode.Deny ? "deny" : "serve").Value);
        Assert.True(metrics.AuditWriteFailures.Value >= 1);
    }

    [Fact]
    public async Task ClientAbort_IsAuditedAsAborted_NotAServerError()
    {
        var destination = new CapturingStream();
        var writer = new AuditWriter(destination, ownsDestination: false, "test", capacity: 10, NullLogger.Instance);
        var metrics = new SidecarMetrics();
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        using var aborted = new CancellationTokenSource();
        var middleware = Middleware(
            c =>
            {
                aborted.Cancel();
                throw new OperationCanceledException(c.RequestAborted);
            },
            writer,
            metrics);
        var context = Context(leaf);
        context.RequestAborted = aborted.Token;

        await middleware.InvokeAsync(context);
        await writer.DisposeAsync();

        var line = JsonDocument.Parse(Assert.Single(destination.Lines)).RootElement;
        Assert.Equal(("aborted", "client_aborted", 499), (line.GetProperty("decision").GetString(), line.GetProperty("reason").GetString(), line.GetProperty("status").GetInt32()));
        Assert.Equal(1, metrics.ClientAborts.WithLabels("pipeline").Value);
    }

    public void Dispose() => _root.Dispose();

    private static AuditMiddleware Middleware(RequestDelegate next, AuditWriter writer, SidecarMetrics metrics, AuditFailureMode mode = AuditFailureMode.Deny) =>
        new(next, writer, metrics, TimeProvider.System, new DenialResponder(new SeriesCache(metrics)),
            Options.Create(new AuditOptions { OnFailure = mode }), NullLogger<AuditMiddleware>.Instance);

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
