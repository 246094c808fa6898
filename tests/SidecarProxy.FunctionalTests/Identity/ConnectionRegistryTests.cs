using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>Open agent connections are tracked by SPIFFE ID so that revocation can close them.</summary>
public sealed class ConnectionRegistryTests
{
    [Fact]
    public async Task AbortAll_ClosesOnlyThatIdentitysConnections()
    {
        await using var bed = await SidecarTestBed.Create().WithTool("echo").WithAllowAllPolicy().StartAsync();
        var root = bed.Root;
        var proxy = bed.Proxy;
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

        Assert.True(await Eventually.TrueAsync(() => registry.Count(a) == 0));
        Assert.Equal(1, registry.Count(b));
    }
}
