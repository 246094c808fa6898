using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SidecarProxy.Identity.WorkloadApi;

internal static class WorkloadApiServiceCollectionExtensions
{
    /// <summary>
    /// True when the sidecar should take its identity from the Workload API: <c>Sidecar:Identity:WorkloadApi</c> or
    /// the <c>SPIFFE_ENDPOINT_SOCKET</c> environment variable is set.
    /// </summary>
    public static bool IsWorkloadApiConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[WorkloadApiOptions.SectionName + ":WorkloadApi"])
            || WorkloadApiOptions.EndpointSocketFromEnvironment() is not null;
    }

    /// <summary>
    /// Registers <see cref="WorkloadApiIdentitySource"/> as the <see cref="IIdentityMaterialSource"/> and as a hosted
    /// service, with its options bound from <c>Sidecar:Identity</c> and validated at start-up.
    /// </summary>
    public static IServiceCollection AddWorkloadApiIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<WorkloadApiOptions>()
            .Bind(configuration.GetSection(WorkloadApiOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkloadApiOptions>, WorkloadApiOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WorkloadApiIdentitySource>();
        services.AddSingleton<IIdentityMaterialSource>(sp => sp.GetRequiredService<WorkloadApiIdentitySource>());
        services.AddHostedService(sp => sp.GetRequiredService<WorkloadApiIdentitySource>());
        return services;
    }
}
