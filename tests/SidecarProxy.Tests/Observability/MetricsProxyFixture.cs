using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Observability;

/// <summary>
/// One proxy per test (counts must start at zero): a path tool <c>echo</c> to a recording upstream, the identity
/// in a temporary directory, and a switchable test policy.
/// </summary>
internal sealed class MetricsProxyFixture : IAsyncDisposable
{
    public const string TrustDomain = "agents.test";
    public const string AgentId = "spiffe://agents.test/agent/researcher";

    private MetricsProxyFixture(TestCa root, IdentityDirectory identity, RecordingUpstream upstream, TestProxy proxy, TestPolicyDecisionPoint policy)
    {
        Root = root;
        Identity = identity;
        Upstream = upstream;
        Proxy = proxy;
        Policy = policy;
    }

    public TestCa Root { get; }

    public IdentityDirectory Identity { get; }

    public RecordingUpstream Upstream { get; }

    public TestProxy Proxy { get; }

    public TestPolicyDecisionPoint Policy { get; }

    public static async Task<MetricsProxyFixture> StartAsync()
    {
        var root = TestCa.CreateRoot(TrustDomain);
        var identity = new IdentityDirectory();
        identity.WriteBundle(TrustDomain, root);
        var upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "echo", upstream.Url);
        var policy = TestPolicyDecisionPoint.AllowAll();
        var proxy = await TestProxy.StartAsync(identity, settings, s => s.AddSingletonPdp(policy));
        return new MetricsProxyFixture(root, identity, upstream, proxy, policy);
    }

    public HttpClient CreateAgentClient() => Proxy.CreateClient(Root.IssueSvid(AgentId));

    public Task<MetricsScrape> ScrapeAsync() => MetricsScrape.FromAsync(Proxy.OperationsUrl);

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        Identity.Dispose();
        Root.Dispose();
    }
}
