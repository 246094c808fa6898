using SidecarProxy.TaskGrants;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.TaskGrants;

public sealed class UrlJwksKeySourceTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private const string JwksPath = "/.well-known/jwks.json";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly GrantIssuer _orchestrator = new();

    public void Dispose()
    {
        _server.Stop();
        _server.Dispose();
        _orchestrator.Dispose();
    }

    private int Fetches => _server.LogEntries.Count(e => e.RequestMessage?.Path == JwksPath);

    private void Publish(int status, string body)
    {
        _server.ResetMappings();
        _server.Given(Request.Create().WithPath(JwksPath).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    private TaskGrantHost Host() => new(new()
    {
        ["Sidecar:TaskGrants:Issuer"] = GrantIssuer.Issuer,
        ["Sidecar:TaskGrants:JwksUrl"] = _server.Urls![0] + JwksPath,
        ["Sidecar:TaskGrants:JwksRefreshInterval"] = "00:05:00",
        ["Sidecar:TaskGrants:JwksMinimumRefreshInterval"] = "00:00:30",
    });

    [Fact]
    public async Task KeysFromUrl_FetchedOnceAndCached()
    {
        Publish(200, GrantIssuer.JwksOf(_orchestrator));
        await using var host = Host();

        for (var i = 0; i < 5; i++)
        {
            var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow(), taskId: $"t-{i}");
            Assert.True((await host.Validator.ValidateAsync(grant, Agent, default)).Succeeded);
        }

        Assert.Equal(1, Fetches);

        host.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.True((await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Succeeded);
        Assert.Equal(2, Fetches);
    }

    [Fact]
    public async Task UnknownKid_RefetchesOnceThenRateLimited()
    {
        Publish(200, GrantIssuer.JwksOf(_orchestrator));
        await using var host = Host();
        Assert.True((await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Succeeded);

        using var rotated = new GrantIssuer();
        Publish(200, GrantIssuer.JwksOf(_orchestrator, rotated));
        host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await host.Validator.ValidateAsync(rotated.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Succeeded);
        Assert.Equal(2, Fetches);

        // Forged kids must not turn into a fetch each.
        using var attacker = new GrantIssuer();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(TaskGrantFailure.BadSignature, (await host.Validator.ValidateAsync(attacker.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Failure);
        }

        Assert.Equal(2, Fetches);
    }

    [Fact]
    public async Task UrlDown_KeysUnavailableThenRecovers()
    {
        Publish(500, "oops");
        await using var host = Host();
        var grant = _orchestrator.Sign(Agent, host.Time.GetUtcNow());

        var down = await host.Validator.ValidateAsync(grant, Agent, default);
        Assert.Equal(TaskGrantFailure.KeysUnavailable, down.Failure);
        Assert.Equal(503, down.StatusCode);

        Publish(200, GrantIssuer.JwksOf(_orchestrator));
        Assert.True((await host.Validator.ValidateAsync(grant, Agent, default)).Succeeded);
    }

    [Fact]
    public async Task RefreshFails_LastGoodKeysKept()
    {
        Publish(200, GrantIssuer.JwksOf(_orchestrator));
        await using var host = Host();
        Assert.True((await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Succeeded);

        Publish(200, "garbage");
        host.Time.Advance(TimeSpan.FromMinutes(6));

        Assert.True((await host.Validator.ValidateAsync(_orchestrator.Sign(Agent, host.Time.GetUtcNow()), Agent, default)).Succeeded);
        Assert.Equal(2, Fetches);
    }
}
