using SidecarProxy.Configuration;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Observability;

namespace SidecarProxy.Tests.Configuration;

public sealed class SidecarOptionsValidatorTests
{
    [Fact]
    public void WorkloadApiOnly_IsValid()
    {
        var options = new SidecarOptions { Identity = new IdentityOptions { WorkloadApi = "unix:///run/spire/agent.sock" } };

        Assert.True(new SidecarOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void NothingConfigured_NamesBothIdentitySources()
    {
        var result = new SidecarOptionsValidator().Validate(null, new SidecarOptions());

        Assert.True(result.Failed);
        Assert.Contains("WorkloadApi", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ServerCertificate", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void SamePortForAgentAndMetrics_IsAnError()
    {
        var options = new SidecarOptions
        {
            Listen = "https://127.0.0.1:9000",
            Metrics = new MetricsOptions { Listen = "http://127.0.0.1:9000" },
            Identity = new IdentityOptions { WorkloadApi = "unix:///x" },
        };

        var result = new SidecarOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.Contains("different ports", StringComparison.Ordinal));
    }

    [Fact]
    public void FilesWithoutBundles_IsAnError()
    {
        var file = Path.GetTempFileName();
        try
        {
            var options = new SidecarOptions
            {
                Identity = new IdentityOptions { ServerCertificate = file, ServerKey = file },
            };

            var result = new SidecarOptionsValidator().Validate(null, options);

            Assert.Equal(
                ["Sidecar:Identity:TrustBundles must name at least one trust domain (TrustBundles:<trust-domain> = PEM file)"],
                result.Failures);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("https://127.0.0.1:15443", true)]
    [InlineData("https://localhost:0", true)]
    [InlineData("https://[::1]:15443", true)]
    [InlineData("http://127.0.0.1:15443", false)]
    [InlineData("https://example.com:15443", false)]
    [InlineData("https://127.0.0.1:15443/path", false)]
    [InlineData("https://user@127.0.0.1:15443", false)]
    [InlineData("127.0.0.1:15443", false)]
    public void ListenAddress_AcceptsOnlyIpOrLocalhostWithScheme(string url, bool valid)
    {
        Assert.Equal(valid, ListenAddress.TryParse(url, "https", out _));
    }
}
