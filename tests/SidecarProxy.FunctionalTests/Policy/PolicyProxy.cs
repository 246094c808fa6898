using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>A running sidecar with a real policy engine (embedded or opa) in front of a recording upstream.</summary>
internal sealed class PolicyProxy : IAsyncDisposable
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;

    private readonly SidecarTestBed _bed;

    private PolicyProxy(SidecarTestBed bed) => _bed = bed;

    public TestCa Root => _bed.Root;

    public IdentityDirectory Identity => _bed.Identity;

    public RecordingUpstream Upstream => _bed.Upstream;

    public TestProxy Proxy => _bed.Proxy;

    /// <summary>Starts a sidecar with tools "demo" and "payments" and the given Sidecar:Policy settings.</summary>
    public static async Task<PolicyProxy> StartAsync(Dictionary<string, string?> policySettings, string? trustDomain = null) =>
        new(await SidecarTestBed.Create(trustDomain ?? TrustDomain)
            .WithTool("demo")
            .WithTool("payments", riskLabel: "high")
            .WithSettings(policySettings)
            .StartAsync());

    public HttpClient Agent(string spiffeId) => _bed.Agent(spiffeId);

    public ValueTask DisposeAsync() => _bed.DisposeAsync();
}
