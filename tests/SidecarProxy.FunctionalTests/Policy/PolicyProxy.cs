using SidecarProxy.Spiffe;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>A running sidecar with a real policy engine (embedded or opa) in front of a recording upstream.</summary>
internal static class PolicyProxy
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;

    /// <summary>Starts a sidecar with tools "demo" and "payments" and the given Sidecar:Policy settings.</summary>
    public static async Task<SidecarTestBed> StartAsync(
        Dictionary<string, string?> policySettings, string? trustDomain = null, Action<IServiceCollection>? services = null)
    {
        var bed = SidecarTestBed.Create(trustDomain ?? TrustDomain)
            .WithTool("demo")
            .WithTool("payments", riskLabel: "high")
            .WithSettings(policySettings);
        if (services is not null)
        {
            bed.WithServices(services);
        }

        return await bed.StartAsync();
    }
}
