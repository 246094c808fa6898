using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Routing;

/// <summary>With no policy engine configured the sidecar denies everything and forwards nothing.</summary>
public sealed class DenyAllDefaultTests
{
    [Fact]
    public async Task NoPolicyEngine_Is403PolicyDeniedAndUpstreamSeesNothing()
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

        TestProxy.AddPathTool(settings, "echo", upstream.Url);
        await using var proxy = await TestProxy.StartAsync(identity, settings);
        using var svid = root.IssueSvid("spiffe://agents.test/agent/a");
        using var client = proxy.CreateClient(svid);

        using var response = await client.GetAsync(new Uri("/tools/echo/x", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        Assert.Equal("no policy engine configured", problem.Body.GetProperty("detail").GetString());
        Assert.Empty(upstream.Requests);
    }
}
