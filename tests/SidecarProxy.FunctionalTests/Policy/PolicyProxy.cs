using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>A running sidecar with a real policy engine (embedded or opa) in front of a recording upstream.</summary>
internal sealed class PolicyProxy : IAsyncDisposable
{
    public const string TrustDomain = "agents.test";

    private PolicyProxy(TestCa root, IdentityDirectory identity, RecordingUpstream upstream, TestProxy proxy)
    {
        Root = root;
        Identity = identity;
        Upstream = upstream;
        Proxy = proxy;
    }

    public TestCa Root { get; }

    public IdentityDirectory Identity { get; }

    public RecordingUpstream Upstream { get; }

    public TestProxy Proxy { get; }

    /// <summary>Starts a sidecar with tools "demo" and "payments" and the given Sidecar:Policy settings.</summary>
    public static async Task<PolicyProxy> StartAsync(
        Dictionary<string, string?> policySettings, string? trustDomain = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var td = trustDomain ?? TrustDomain;
        var root = TestCa.CreateRoot(td);
        var identity = new IdentityDirectory();
        identity.WriteBundle(td, root);
        var upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration(td))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "demo", upstream.Url);
        TestProxy.AddPathTool(settings, "payments", upstream.Url, labels: "high");
        foreach (var (key, value) in policySettings)
        {
            settings[key] = value;
        }

        var proxy = await TestProxy.StartAsync(identity, settings, services);
        return new PolicyProxy(root, identity, upstream, proxy);
    }

    public HttpClient Agent(string spiffeId) => Proxy.CreateClient(Root.IssueSvid(spiffeId));

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        Identity.Dispose();
        Root.Dispose();
    }
}
