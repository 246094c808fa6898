using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Observability;

/// <summary>
/// One proxy per test (counts must start at zero): a path tool <c>echo</c> to a recording upstream, the identity
/// in a temporary directory, and a switchable test policy.
/// </summary>
internal static class MetricsProxyFixture
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;
    public const string AgentId = SidecarTestBed.AgentId;

    public static Task<SidecarTestBed> StartAsync() =>
        SidecarTestBed.Create().WithTool("echo").WithAllowAllPolicy().StartAsync();
}
