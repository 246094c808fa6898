using SidecarProxy.Identity;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Routing;

/// <summary>
/// A running proxy with a path tool (<c>/tools/echo/</c>, label risk=read) and a Host tool
/// (<c>hosttool.test</c>), both forwarding to a recording upstream, and a switchable test policy.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;
    public const string AgentId = SidecarTestBed.AgentId;

    private SidecarTestBed _bed = null!;

    public TestCa Root => _bed.Root;

    internal IdentityDirectory IdentityFiles => _bed.Identity;

    internal TestProxy Proxy => _bed.Proxy;

    internal TestPolicyDecisionPoint Policy => _bed.Policy!;

    public RecordingUpstream Upstream => _bed.Upstream;

    public async Task InitializeAsync() =>
        _bed = await SidecarTestBed.Create()
            .WithTool("echo", riskLabel: "read")
            .WithHostTool("hosttool", "hosttool.test")
            .WithAllowAllPolicy()
            .StartAsync();

    internal HttpClient CreateAgentClient() => _bed.Agent();

    public async Task DisposeAsync() => await _bed.DisposeAsync();
}
