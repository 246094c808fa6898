using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Routing;

/// <summary>
/// A running proxy with a path tool (<c>/tools/echo/</c>, label risk=read) and a Host tool
/// (<c>hosttool.test</c>), both forwarding to a recording upstream, and a switchable test policy.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    public const string TrustDomain = "agents.test";
    public const string AgentId = "spiffe://agents.test/agent/researcher";

    public TestCa Root { get; } = TestCa.CreateRoot(TrustDomain);

    internal IdentityDirectory IdentityFiles { get; } = new();

    internal TestProxy Proxy { get; private set; } = null!;

    internal TestPolicyDecisionPoint Policy { get; } = TestPolicyDecisionPoint.AllowAll();

    public RecordingUpstream Upstream { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        IdentityFiles.WriteBundle(TrustDomain, Root);
        Upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in IdentityFiles.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "echo", Upstream.Url, labels: "read");
        TestProxy.AddHostTool(settings, "hosttool", "hosttool.test", Upstream.Url);
        Proxy = await TestProxy.StartAsync(IdentityFiles, settings, s => s.AddSingletonPdp(Policy));
    }

    internal HttpClient CreateAgentClient() => Proxy.CreateClient(Root.IssueSvid(AgentId));

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        IdentityFiles.Dispose();
        Root.Dispose();
    }
}
