using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Credentials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Policy;

namespace SidecarProxy.Tests.Configuration;

public sealed class ConfigurationSchemaTests
{
    [Fact]
    public void EveryOptionsTypeWithASectionName_IsInTheSchema()
    {
        var withSection = typeof(SidecarOptions).Assembly.GetTypes()
            .Where(t => t.GetField("SectionName") is { IsLiteral: true } f && ((string)f.GetRawConstantValue()!).StartsWith("Sidecar", StringComparison.Ordinal));

        Assert.All(withSection, t => Assert.Contains(ConfigurationSchema.Sections, s => s.Type == t));
        Assert.Contains(ConfigurationSchema.Sections, s => s.Type == typeof(PolicyOptions));
        Assert.Contains(ConfigurationSchema.Sections, s => s.Path == "Sidecar:Credentials:*" && s.Type == typeof(CredentialProviderOptions));
    }

    [Fact]
    public void EveryOptionsTypeBoundOrValidated_IsInTheSchema()
    {
        // What the sidecar registers: every options type it validates must have its keys known.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sidecar:Identity:WorkloadApi"] = "unix:///tmp/x.sock",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSidecarCredentials(configuration);
        services.AddWorkloadApiIdentity(configuration);
        var validated = services.Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IValidateOptions<>))
            .Select(t => t.GetGenericArguments()[0]);

        Assert.All(validated, t => Assert.Contains(ConfigurationSchema.Sections, s => s.Type == t));
    }

    [Theory]
    [InlineData("Sidecar:Listen", "https://127.0.0.1:1")]
    [InlineData("sidecar:metrics:listen", "http://127.0.0.1:2")]
    [InlineData("Sidecar:Identity:TrustBundles:example.org", "/b.pem")]
    [InlineData("Sidecar:Identity:WorkloadApiMaxBackoff", "00:00:10")]
    [InlineData("Sidecar:Credentials:StripHeaders", "X-A,X-B")]
    [InlineData("Sidecar:Credentials:StripHeaders:0", "X-A")]
    [InlineData("Sidecar:Credentials:CacheMaxEntries", "5")]
    [InlineData("Sidecar:Credentials:gh:Scopes:0", "repo")]
    [InlineData("Sidecar:Credentials:gh:TokenEndpoint", "https://example.org/token")]
    [InlineData("Sidecar:TaskGrants:ClockSkew", "00:01:00")]
    [InlineData("Sidecar:Policy:Timeout", "00:00:01")]
    public void KnownKeyWithGoodValue_IsAccepted(string key, string value)
    {
        var check = ConfigurationSchema.Check(Config(key, value));

        Assert.Empty(check.Errors);
    }

    [Theory]
    [InlineData("Sidecar:Listne", "Sidecar:Listen")]
    [InlineData("Sidecar:Polcy:Timeout", "Sidecar:Policy:Timeout")]
    [InlineData("Sidecar:Identity:TrustBundle:example.org", "Sidecar:Identity:TrustBundles:example.org")]
    [InlineData("Sidecar:Credentials:gh:Kidn", "Sidecar:Credentials:gh:Kind")]
    [InlineData("Sidecar:Credentials:Providers:gh:Kind", null)]
    [InlineData("Sidecar:Unrelated", null)]
    public void UnknownKey_IsRefused_WithASuggestionWhenClose(string key, string? suggestion)
    {
        var check = ConfigurationSchema.Check(Config(key, "x"));

        var error = Assert.Single(check.Errors);
        Assert.StartsWith(key + ": unknown configuration key", error, StringComparison.Ordinal);
        if (suggestion is null)
        {
            Assert.DoesNotContain("did you mean", error, StringComparison.Ordinal);
        }
        else
        {
            Assert.EndsWith($"did you mean '{suggestion}'?", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadValues_AreEachListed_AndReplacedByTheirDefaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sidecar:Policy:Timeout"] = "abc",
            ["Sidecar:Credentials:gh:MaxTtl"] = "5m",
            ["Sidecar:Audit:QueueCapacity"] = "1e3",
            ["Sidecar:TaskGrants:Required"] = "yes",
        }).Build();

        var check = ConfigurationSchema.Check(configuration);

        Assert.Equal(4, check.Errors.Count);
        Assert.Contains("Sidecar:Policy:Timeout: 'abc' is not a valid TimeSpan (e.g. 00:00:00.250 or 00:05:00)", check.Errors);
        Assert.Equal("00:00:00.2500000", check.InvalidValues["Sidecar:Policy:Timeout"]);
        Assert.Equal("00:05:00", check.InvalidValues["Sidecar:Credentials:gh:MaxTtl"]);
        Assert.Equal("10000", check.InvalidValues["Sidecar:Audit:QueueCapacity"]);
        Assert.Equal("False", check.InvalidValues["Sidecar:TaskGrants:Required"]);
    }

    private static IConfiguration Config(string key, string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
}
