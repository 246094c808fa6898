using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Observability;

/// <summary>
/// One proxy per test (counts must start at zero): a path tool <c>echo</c> to a recording upstream, the identity
/// in a temporary directory, and a switchable test policy.
/// </summary>
internal sealed class MetricsProxyFixture : IAsyncDisposable
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;
    public const string AgentId = SidecarTestBed.AgentId;

    private readonly SidecarTestBed _bed;

    private MetricsProxyFixture(SidecarTestBed bed) => _bed = bed;

    public TestCa Root => _bed.Root;

    public IdentityDirectory Identity => _bed.Identity;

    public RecordingUpstream Upstream => _bed.Upstream;

    public TestProxy Proxy => _bed.Proxy;

    public TestPolicyDecisionPoint Policy => _bed.Policy!;

    public static async Task<MetricsProxyFixture> StartAsync() =>
        new(await SidecarTestBed.Create().WithTool("echo").WithAllowAllPolicy().StartAsync());

    public HttpClient CreateAgentClient() => _bed.Agent();

    public Task<MetricsScrape> ScrapeAsync() => MetricsScrape.FromAsync(Proxy.OperationsUrl);

    public ValueTask DisposeAsync() => _bed.DisposeAsync();
}
