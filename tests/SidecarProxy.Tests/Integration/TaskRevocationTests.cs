using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Pipeline;
using SidecarProxy.Revocation;
using SidecarProxy.TaskGrants;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Integration;

/// <summary>The task stage refuses a revoked task, which the revocation stage cannot see (it runs before the grant is read).</summary>
public sealed class TaskRevocationTests : IDisposable
{
    private readonly TestCa _root = TestCa.CreateRoot("example.org");

    [Theory]
    [InlineData("t-revoked", false)]
    [InlineData("t-live", true)]
    public async Task TaskStage_RevokedTaskIsDeniedOthersPass(string taskId, bool passes)
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var context = new DefaultHttpContext { Response = { Body = new MemoryStream() } };
        var result = new X509SvidValidator(TimeProvider.System).Validate(
            leaf, null, new Dictionary<string, System.Security.Cryptography.X509Certificates.X509Certificate2Collection> { ["example.org"] = [_root.Certificate] });
        context.Features.Set<IPeerIdentityFeature>(new PeerIdentityFeature(result));
        var nextCalled = false;
        var stage = new TaskContextMiddleware(
            _ => { nextCalled = true; return Task.CompletedTask; },
            new FixedTask(taskId),
            new RevokeTask("t-revoked"),
            new DenialResponder(new SeriesCache(new SidecarMetrics())));

        await stage.InvokeAsync(context);

        Assert.Equal(passes, nextCalled);
        if (!passes)
        {
            context.Response.Body.Position = 0;
            var problem = await JsonDocument.ParseAsync(context.Response.Body);
            Assert.Equal((403, "revoked"), (context.Response.StatusCode, problem.RootElement.GetProperty("code").GetString()));
        }
    }

    public void Dispose() => _root.Dispose();

    private sealed class FixedTask(string id) : ITaskContextResolver
    {
        public ValueTask<TaskContextResult> ResolveAsync(HttpContext context, PeerIdentity identity, CancellationToken ct) =>
            ValueTask.FromResult(TaskContextResult.For(new TaskContext(id, "iss", DateTimeOffset.UtcNow.AddMinutes(5), new Dictionary<string, JsonElement>())));
    }

    private sealed class RevokeTask(string revoked) : IRevocationCheck
    {
        public ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct) =>
            ValueTask.FromResult(taskId == revoked);
    }
}
