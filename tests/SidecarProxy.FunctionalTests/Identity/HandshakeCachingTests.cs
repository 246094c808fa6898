using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.FunctionalTests.Common;
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
        using var root = TestCa.CreateRoot("agents.test");
        using var identity = new IdentityDirectory();
        identity.WriteBundle("agents.test", root);
        await using var upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration("agents.test"))
        {
            settings[key] = value;
        }

        settings["Logging:LogLevel:SidecarProxy"] = "Debug";
        TestProxy.AddPathTool(settings, "echo", upstream.Url);
        var logs = new CapturingLoggerProvider();
        var pdp = TestPolicyDecisionPoint.AllowAll();
        await using var proxy = await TestProxy.StartAsync(identity, settings, s =>
        {
            s.AddSingletonPdp(pdp);
            s.AddSingleton<ILoggerProvider>(logs);
        });
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

        Assert.Single(logs.Events, e => e.Id.Id == AuthenticatedEventId);
        Assert.Equal(5, pdp.Requests.Count(r => r.SpiffeId == "spiffe://agents.test/agent/a"));
    }
}
