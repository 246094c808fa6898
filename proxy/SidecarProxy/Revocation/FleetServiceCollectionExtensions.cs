using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Health;

namespace SidecarProxy.Revocation;

internal static class FleetServiceCollectionExtensions
{
    /// <summary>
    /// The validator of <c>Sidecar:Revocations:Redis</c>, <c>MaxStaleness</c>, <c>OnStale</c>; with <c>Redis</c> set, the
    /// fleet sync (a hosted service), its readiness check and the staleness gate of the revocation stage.
    /// </summary>
    public static IServiceCollection AddSidecarFleetRevocations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RevocationOptions>, RevocationFleetOptionsValidator>());
        if (!string.IsNullOrWhiteSpace(configuration.GetSection(RevocationOptions.SectionName)["Redis"]))
        {
            services.TryAddSingleton<RevocationFleetSync>();
            services.AddHostedService(sp => sp.GetRequiredService<RevocationFleetSync>());
            services.TryAddSingleton<IRevocationFreshness>(sp => sp.GetRequiredService<RevocationFleetSync>());
            services.AddSingleton<IReadinessCheck, RevocationFleetReadinessCheck>();
        }

        services.TryAddSingleton<IRevocationFreshness, LocalRevocationsOnly>();
        return services;
    }
}
