using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Policy;

namespace SidecarProxy.TestSupport;

internal static class ServiceCollectionTestExtensions
{
    /// <summary>Registers the test decision point before the sidecar's default, which it therefore replaces.</summary>
    public static IServiceCollection AddSingletonPdp(this IServiceCollection services, TestPolicyDecisionPoint pdp) =>
        services.AddSingleton<IPolicyDecisionPoint>(pdp);
}
