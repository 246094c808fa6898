using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.Identity;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>Open agent connections are tracked by SPIFFE ID so that revocation can close them.</summary>
public sealed class ConnectionRegistryTests
{
    [Fact]
    public async Task AbortAll_ClosesOnlyThatIdentitysConnections()
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
        var pdp = TestPolicyDecisionPoint.AllowAll();
        await using var proxy = await TestProxy.StartAsync(identity, settings, s => s.AddSingletonPdp(pdp));
        var registry = proxy.App.Services.GetRequiredService<AgentConnectionRegistry>();
        var a = SpiffeId.FromString("spiffe://agents.test/agent/a");
        var b = SpiffeId.FromString("spiffe://agents.test/agent/b");
        using var svidA = root.IssueSvid(a.ToString());
        using var svidB = root.IssueSvid(b.ToString());
        using var clientA = proxy.CreateClient(svidA);
        using var clientB = proxy.CreateClient(svidB);
        Assert.Equal(HttpStatusCode.OK, (await clientA.GetAsync(new Uri("/tools/echo/a", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await clientB.GetAsync(new Uri("/tools/echo/b", UriKind.Relative))).StatusCode);
        Assert.Equal(1, registry.Count(a));
        Assert.Equal(1, registry.Count(b));

        Assert.Equal(1, registry.AbortAll(a, "revoked"));

        Assert.True(await EventuallyAsync(() => registry.Count(a) == 0));
        Assert.Equal(1, registry.Count(b));
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
