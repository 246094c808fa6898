using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>The SVID is validated once per TLS connection, for HTTP/1.1 keep-alive and HTTP/2 multiplexing alike.</summary>
public sealed class HandshakeCachingTests
{
    private const int AuthenticatedEventId = 1005;

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task ManyRequestsOnOneConnection_AreValidatedOnce(string version)
    {
        var logs = new CapturingLoggerProvider();
        var pdp = TestPolicyDecisionPoint.AllowAll();
        await using var bed = await SidecarTestBed.Create()
            .WithTool("echo")
            .WithPolicy(pdp)
            .WithSetting("Logging:LogLevel:SidecarProxy", "Debug")
            .WithServices(s => s.AddSingleton<ILoggerProvider>(logs))
            .StartAsync();
        var root = bed.Root;
        var proxy = bed.Proxy;
        using var svid = root.IssueSvid("spiffe://agents.test/agent/a");
        using var client = proxy.CreateClient(svid);
        client.DefaultRequestVersion = Version.Parse(version);
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync(new Uri($"/tools/echo/{i}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Version.Parse(version), response.Version);
        }

        Assert.Single(logs.Events, e => e.EventId == AuthenticatedEventId);
        Assert.Equal(5, pdp.Requests.Count(r => r.SpiffeId == "spiffe://agents.test/agent/a"));
    }
}
