using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Routing;
using SidecarProxy.TaskGrants;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Pipeline;

/// <summary>Pipeline stages on a DefaultHttpContext: no sockets, the features set by hand.</summary>
public sealed class PipelineStageTests : IDisposable
{
    private readonly TestCa _root = TestCa.CreateRoot("example.org");
    private readonly SidecarMetrics _metrics = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task IdentityStage_NoHandshakeResult_IsSvidMissing()
    {
        var (context, nextCalled) = await RunIdentityStageAsync(null, DateTimeOffset.UtcNow);

        Assert.False(nextCalled);
        Assert.Equal("svid_missing", await CodeAsync(context));
        Assert.Same(DenialCode.SvidMissing, context.FindOutcome()!.Denial);
        Assert.Null(context.FindTool());
        Assert.Equal(1, _metrics.Denials.WithLabels("svid_missing").Value);
    }

    [Fact]
    public async Task IdentityStage_HandshakeFailure_UsesItsCode()
    {
        var failure = SvidValidationResult.Fail(DenialCode.SvidUntrusted, "x509svid: nope");

        var (context, nextCalled) = await RunIdentityStageAsync(failure, DateTimeOffset.UtcNow);

        Assert.False(nextCalled);
        Assert.Equal("svid_untrusted", await CodeAsync(context));
    }

    [Fact]
    public async Task IdentityStage_CertificateExpiredSinceHandshake_IsSvidExpired()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/a");
        var ok = new X509SvidValidator(TimeProvider.System).Validate(leaf, null, Bundles());

        var (context, nextCalled) = await RunIdentityStageAsync(ok, leaf.NotAfter.AddMinutes(1));

        Assert.False(nextCalled);
        Assert.Equal("svid_expired", await CodeAsync(context));
    }

    [Fact]
    public async Task IdentityStage_ValidIdentity_CallsNext()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/a");
        var ok = new X509SvidValidator(TimeProvider.System).Validate(leaf, null, Bundles());

        var (_, nextCalled) = await RunIdentityStageAsync(ok, DateTimeOffset.UtcNow);

        Assert.True(nextCalled);
    }

    [Fact]
    public async Task IdentityStage_OperationsListener_PassesWithoutIdentity()
    {
        var context = NewContext();
        context.Features.Set<IListenerFeature>(ListenerFeature.Operations);
        var nextCalled = false;
        var stage = new AgentIdentityMiddleware(_ => { nextCalled = true; return Task.CompletedTask; }, Denials(), TimeProvider.System);

        await stage.InvokeAsync(context);

        Assert.True(nextCalled);
    }

    [Fact]
    public async Task RevocationStage_RevokedIdentity_Is403Revoked()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/a");
        var context = NewContext();
        context.Features.Set<IPeerIdentityFeature>(
            new PeerIdentityFeature(new X509SvidValidator(TimeProvider.System).Validate(leaf, null, Bundles())));
        var stage = new RevocationMiddleware(_ => Task.CompletedTask, new RevokeAll(), Denials());

        await stage.InvokeAsync(context);

        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("revoked", await CodeAsync(context));
    }

    [Fact]
    public async Task TaskStage_ResolverDenial_StopsWithItsCode()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/a");
        var context = NewContext();
        context.Features.Set<IPeerIdentityFeature>(
            new PeerIdentityFeature(new X509SvidValidator(TimeProvider.System).Validate(leaf, null, Bundles())));
        context.Features.Set<IToolFeature>(new ToolFeature(new ToolDescriptor("t", null, new Dictionary<string, string>(), null)));
        var nextCalled = false;
        var stage = new TaskContextMiddleware(
            _ => { nextCalled = true; return Task.CompletedTask; }, new BadGrant(), new RevokeAll(), Denials());

        await stage.InvokeAsync(context);

        Assert.False(nextCalled);
        Assert.Equal("task_grant_invalid", await CodeAsync(context));
        Assert.Same(DenialCode.TaskGrantInvalid, context.FindOutcome()!.Denial);
        Assert.Equal("t", context.FindTool()?.Id);
        Assert.Equal(1, _metrics.Denials.WithLabels("task_grant_invalid").Value);
    }

    [Fact]
    public void PolicyRequest_PathIsToolRelativeAndCredentialHeadersAreLeftOut()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/a");
        var identity = new X509SvidValidator(TimeProvider.System).Validate(leaf, null, Bundles()).Identity!;
        var context = NewContext();
        context.Request.Method = "PATCH";
        context.Request.Path = "/tools/github/repos/x";
        context.Request.QueryString = new QueryString("?a=1");
        context.Request.Host = new HostString("127.0.0.1", 15443);
        context.Request.Headers.Authorization = "Bearer secret";
        context.Request.Headers["X-Custom-Credential"] = "secret";
        context.Request.Headers["Content-Type"] = "application/json";
        var stripped = new StrippedHeaders([new CustomHeaderSource()]);
        var tool = new ToolDescriptor("github", null, new Dictionary<string, string>(), "/tools/github");

        var request = new PolicyRequestFactory(stripped, TimeProvider.System).Create(context, identity, tool, null);

        Assert.Equal("/repos/x", request.Path);
        Assert.Equal("?a=1", request.Query);
        Assert.Equal("PATCH", request.Method);
        Assert.Equal("127.0.0.1:15443", request.Host);
        Assert.Equal("spiffe://example.org/a", request.SpiffeId);
        Assert.Equal(["content-type", "host"], request.Headers.Keys.Order(StringComparer.Ordinal));
    }

    private async Task<(HttpContext Context, bool NextCalled)> RunIdentityStageAsync(SvidValidationResult? result, DateTimeOffset now)
    {
        var context = NewContext();
        context.Features.Set<IListenerFeature>(ListenerFeature.Agent);
        if (result is not null)
        {
            context.Features.Set<IPeerIdentityFeature>(new PeerIdentityFeature(result));
        }

        var nextCalled = false;
        var stage = new AgentIdentityMiddleware(
            _ => { nextCalled = true; return Task.CompletedTask; }, Denials(), new ManualTimeProvider(now));
        await stage.InvokeAsync(context);
        return (context, nextCalled);
    }

    private DenialResponder Denials() => new(new SeriesCache(_metrics));

    private Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2Collection> Bundles() =>
        new() { ["example.org"] = [_root.Certificate] };

    private static DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext { Response = { Body = new MemoryStream() } };
        context.Features.Set(new RequestOutcome(0, DateTimeOffset.UtcNow));
        return context;
    }

    private static async Task<string?> CodeAsync(HttpContext context)
    {
        context.Response.Body.Position = 0;
        using var json = await JsonDocument.ParseAsync(context.Response.Body);
        return json.RootElement.GetProperty("code").GetString();
    }

    private sealed class RevokeAll : IRevocationCheck
    {
        public ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct) =>
            ValueTask.FromResult(true);
    }

    private sealed class BadGrant : ITaskContextResolver
    {
        public ValueTask<TaskContextResult> ResolveAsync(HttpContext context, PeerIdentity identity, CancellationToken ct) =>
            ValueTask.FromResult(TaskContextResult.Deny(DenialCode.TaskGrantInvalid, "grant expired"));
    }

    private sealed class CustomHeaderSource : IStrippedHeaderSource
    {
        public IEnumerable<string> HeaderNames => ["X-Custom-Credential"];
    }
}
