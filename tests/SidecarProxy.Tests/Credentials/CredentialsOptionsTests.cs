using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Credentials;
using SidecarProxy.TaskGrants;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Credentials;

public sealed class CredentialsOptionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CredentialsOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new CredentialsOptions();
        CredentialsOptionsBinder.Bind(configuration, options);
        return options;
    }

    [Fact]
    public void Binder_ReadsProvidersAndStripHeaders()
    {
        var options = Bind(new()
        {
            ["Sidecar:Credentials:github:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:github:TokenEndpoint"] = "https://idp.example/token",
            ["Sidecar:Credentials:github:MaxTtl"] = "00:02:00",
            ["Sidecar:Credentials:github:Scopes:0"] = "a",
            ["Sidecar:Credentials:github:Scopes:1"] = "b",
            ["Sidecar:Credentials:StripHeaders:0"] = "X-Api-Key",
            ["Sidecar:Credentials:StripHeaders:1"] = "X-Auth-Token",
        });

        var github = Assert.Single(options.Providers).Value;
        Assert.Equal("oauth2_client_credentials", github.Kind);
        Assert.Equal(new Uri("https://idp.example/token"), github.TokenEndpoint);
        Assert.Equal(TimeSpan.FromMinutes(2), github.MaxTtl);
        Assert.Equal(["a", "b"], github.Scopes);
        Assert.Equal("Authorization", github.Header);
        Assert.Equal("Bearer", github.Scheme);
        Assert.Equal(["X-Api-Key", "X-Auth-Token"], options.StripHeaders);
        Assert.True(options.Providers.ContainsKey("GITHUB"));
    }

    [Fact]
    public void Binder_AcceptsCommaSeparatedStripHeaders()
    {
        var options = Bind(new() { ["Sidecar:Credentials:StripHeaders"] = "X-One, X-Two" });

        Assert.Empty(options.Providers);
        Assert.Equal(["X-One", "X-Two"], options.StripHeaders);
    }

    [Fact]
    public void Validator_ListsEveryError()
    {
        var options = Bind(new()
        {
            ["Sidecar:Credentials:a:Kind"] = "kerberos",
            ["Sidecar:Credentials:b:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:c:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:c:TokenEndpoint"] = "ftp://idp.example/token",
            ["Sidecar:Credentials:c:ClientId"] = "x",
            ["Sidecar:Credentials:c:ClientSecretPath"] = "/nonexistent/secret",
            ["Sidecar:Credentials:c:ClientAuthentication"] = "mtls",
            ["Sidecar:Credentials:d:Kind"] = "static",
            ["Sidecar:Credentials:e:Kind"] = "token_exchange",
            ["Sidecar:Credentials:f:Kind"] = "jwt",
            ["Sidecar:Credentials:f:SigningKeyPath"] = _dir.Write("not-a-key.pem", "hello"),
            ["Sidecar:Credentials:f:Header"] = "Bad Header",
            ["Sidecar:Credentials:f:MaxTtl"] = "-00:00:01",
            ["Sidecar:Credentials:g:Scopes:0"] = "x",
            ["Sidecar:Credentials:StripHeaders:0"] = "bad:name",
        });

        var errors = CredentialsOptionsValidator.Collect(options);

        string[] expected =
        [
            "StripHeaders: 'bad:name' is not a valid header name",
            "a:Kind 'kerberos' is unknown",
            "b:TokenEndpoint is required",
            "b:ClientId is required",
            "b:ClientSecretPath is required",
            "c:TokenEndpoint must be an absolute http(s) URL",
            "c:ClientSecretPath: file '/nonexistent/secret' does not exist",
            "c:ClientAuthentication 'mtls' is unknown",
            "d:SecretPath is required",
            "e:TokenEndpoint is required",
            "f:Header: 'Bad Header' is not a valid header name",
            "f:MaxTtl must be positive",
            "f:SigningKeyPath: not a PEM EC private key",
            "g:Kind is required",
        ];
        foreach (var fragment in expected)
        {
            Assert.Contains(errors, e => e.Contains(fragment, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, errors.Count);
    }

    [Fact]
    public void PemWithWrongCurve_Rejected()
    {
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        var options = Bind(new()
        {
            ["Sidecar:Credentials:f:Kind"] = "jwt",
            ["Sidecar:Credentials:f:SigningKeyPath"] = _dir.Write("p384.pem", p384.ExportPkcs8PrivateKeyPem()),
        });

        var error = Assert.Single(CredentialsOptionsValidator.Collect(options));
        Assert.Contains("not a P-256 key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsAndTaskGrants_InvalidConfigurationThrowsWithAllFailures()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sidecar:Credentials:a:Kind"] = "nope",
            ["Sidecar:Credentials:b:Kind"] = "static",
            ["Sidecar:TaskGrants:Required"] = "true",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddSidecarCredentials(configuration).AddSidecarTaskGrants(configuration).BuildServiceProvider();

        var credentials = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CredentialsOptions>>().Value);
        Assert.Equal(2, credentials.Failures.Count());
        var grants = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SidecarProxy.TaskGrants.TaskGrantOptions>>().Value);
        Assert.Single(grants.Failures);
    }

    [Fact]
    public void ToStrip_IncludesBuiltInsProviderHeadersAndExtras()
    {
        var options = Bind(new()
        {
            ["Sidecar:Credentials:a:Kind"] = "static",
            ["Sidecar:Credentials:a:Header"] = "X-Api-Key",
            ["Sidecar:Credentials:b:Kind"] = "jwt",
            ["Sidecar:Credentials:StripHeaders:0"] = "X-Upstream-Token",
        });

        var strip = CredentialHeaders.ToStrip(options);

        Assert.Equal(5, strip.Count);
        foreach (var name in new[] { "authorization", "Proxy-Authorization", "COOKIE", "x-api-key", "X-Upstream-Token" })
        {
            Assert.True(strip.Contains(name), name);
        }
    }

    [Theory]
    [InlineData(new[] { "b", "a", "b" }, "a b")]
    [InlineData(new string[0], "")]
    public void ScopeSet_SortsAndDeduplicates(string[] scopes, string expected) =>
        Assert.Equal(expected, ScopeSet.Join(ScopeSet.Normalize(scopes)));

    [Theory]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("quote\"")]
    public void ScopeSet_RejectsInvalidScopeTokens(string scope) =>
        Assert.Throws<CredentialUnavailableException>(() => ScopeSet.Normalize([scope]));

    [Fact]
    public void IssuedCredential_ToStringRedactsValue()
    {
        var credential = new IssuedCredential("Authorization", "Bearer super-secret", DateTimeOffset.UnixEpoch, "sha256:00", true, false, "p", CredentialKind.Jwt);

        Assert.DoesNotContain("super-secret", credential.ToString(), StringComparison.Ordinal);
        Assert.Contains("[redacted]", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret", new ProviderCredential("super-secret", DateTimeOffset.UnixEpoch).ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret", new TokenResponse("super-secret", null).ToString(), StringComparison.Ordinal);
    }
}
