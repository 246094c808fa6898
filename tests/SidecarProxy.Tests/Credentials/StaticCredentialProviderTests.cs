using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Credentials;

public sealed class StaticCredentialProviderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task StaticSecret_TrimmedNoSchemeAndMarkedNotJustInTime()
    {
        var path = _dir.Write("api-key", "  token abc123 \n");
        await using var host = new CredentialTestHost(new()
        {
            ["Sidecar:Credentials:legacy:Kind"] = "static",
            ["Sidecar:Credentials:legacy:SecretPath"] = path,
            ["Sidecar:Credentials:legacy:Header"] = "X-Api-Key",
        });

        var credential = await host.Broker.GetAsync("legacy", new("spiffe://a.example/agent", null, null, "legacy", [], null), default);

        Assert.Equal("X-Api-Key", credential.HeaderName);
        Assert.Equal("token abc123", credential.HeaderValue);
        Assert.False(credential.JustInTime);
        Assert.Equal(CredentialKind.Static, credential.ProviderKind);
    }

    [Fact]
    public async Task SecretFileGoneAtRuntime_Fails503WithoutCaching()
    {
        var path = _dir.Write("api-key", "k");
        await using var host = new CredentialTestHost(new()
        {
            ["Sidecar:Credentials:legacy:Kind"] = "static",
            ["Sidecar:Credentials:legacy:SecretPath"] = path,
        });
        _ = host.Broker;
        File.Delete(path);

        var ex = await Assert.ThrowsAsync<CredentialUnavailableException>(() =>
            host.Broker.GetAsync("legacy", new("spiffe://a.example/agent", null, null, "legacy", [], null), default).AsTask());
        Assert.Equal(503, ex.StatusCode);

        _dir.Write("api-key", "k2");
        Assert.Equal("k2", (await host.Broker.GetAsync("legacy", new("spiffe://a.example/agent", null, null, "legacy", [], null), default)).HeaderValue);
    }

    [Fact]
    public async Task SecretWithNewline_Rejected()
    {
        var path = _dir.Write("api-key", "a\nInjected: 1");
        await using var host = new CredentialTestHost(new()
        {
            ["Sidecar:Credentials:legacy:Kind"] = "static",
            ["Sidecar:Credentials:legacy:SecretPath"] = path,
        });

        await Assert.ThrowsAsync<CredentialUnavailableException>(() =>
            host.Broker.GetAsync("legacy", new("spiffe://a.example/agent", null, null, "legacy", [], null), default).AsTask());
    }
}
