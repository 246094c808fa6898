using Microsoft.Extensions.Configuration;
using SidecarProxy.Admin;
using SidecarProxy.Configuration;
using SidecarProxy.Credentials;
using SidecarProxy.Signals;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Signals;

/// <summary>Start-up checks of the RFC 7009 revocation endpoint and of the SET transmitters; each error names its key.</summary>
public sealed class SignalsOptionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RevocationEndpoint_IsAnHttpUrl_AndOnlyForIssuerTokens()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Credentials:cc:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:cc:TokenEndpoint"] = "https://idp.example/token",
            ["Sidecar:Credentials:cc:RevocationEndpoint"] = "ftp://idp.example/revoke",
            ["Sidecar:Credentials:cc:ClientId"] = "x",
            ["Sidecar:Credentials:cc:ClientSecretPath"] = _dir.Write("secret", "s"),
            ["Sidecar:Credentials:ok:Kind"] = "token_exchange",
            ["Sidecar:Credentials:ok:TokenEndpoint"] = "https://sts.example/token",
            ["Sidecar:Credentials:ok:RevocationEndpoint"] = "https://sts.example/revoke",
            ["Sidecar:Credentials:mint:Kind"] = "jwt",
            ["Sidecar:Credentials:mint:RevocationEndpoint"] = "https://idp.example/revoke",
        };
        var options = new CredentialsOptions();
        CredentialsOptionsBinder.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), options);

        var errors = CredentialsOptionsValidator.Collect(options);

        Assert.Equal(2, errors.Count);
        Assert.Contains("Sidecar:Credentials:cc:RevocationEndpoint must be an absolute http(s) URL.", errors);
        Assert.Contains("Sidecar:Credentials:mint:RevocationEndpoint applies only to oauth2_client_credentials and token_exchange.", errors);
    }

    [Fact]
    public void Transmitters_AreCheckedKeyByKey()
    {
        var options = new AdminOptions
        {
            Transmitters =
            [
                new TransmitterOptions { Issuer = "https://a.test", Audience = "aud", JwksPath = _dir.Write("a.json", "{}") },
                new TransmitterOptions { Issuer = "https://a.test", JwksPath = "/nonexistent.json", JwksUrl = new Uri("https://a.test/jwks") },
                new TransmitterOptions { Audience = "aud", JwksPath = "/nonexistent.json", SpiffeId = "not-a-spiffe-id", MaxEventAge = TimeSpan.Zero },
            ],
        };

        var result = new TransmitterOptionsValidator().Validate(null, options);

        var errors = result.Failures!.ToList();
        Assert.Contains(errors, e => e.StartsWith("Sidecar:Admin:Transmitters needs Sidecar:Admin:Listen", StringComparison.Ordinal));
        Assert.Contains("Sidecar:Admin:Transmitters:1:Issuer 'https://a.test' is configured twice", errors);
        Assert.Contains(errors, e => e.StartsWith("Sidecar:Admin:Transmitters:1:Audience is required", StringComparison.Ordinal));
        Assert.Contains("Sidecar:Admin:Transmitters:1: set exactly one of JwksPath and JwksUrl", errors);
        Assert.Contains("Sidecar:Admin:Transmitters:2:Issuer is required", errors);
        Assert.Contains("Sidecar:Admin:Transmitters:2:JwksPath: file '/nonexistent.json' does not exist", errors);
        Assert.Contains(errors, e => e.StartsWith("Sidecar:Admin:Transmitters:2:SpiffeId ", StringComparison.Ordinal));
        Assert.Contains("Sidecar:Admin:Transmitters:2:MaxEventAge must be positive and at most one day", errors);
        Assert.DoesNotContain(errors, e => e.Contains("Transmitters:0:", StringComparison.Ordinal));
    }
}
