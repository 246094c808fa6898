using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Health;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Model;

namespace SidecarProxy.Identity;

internal static class IdentityServiceCollectionExtensions
{
    /// <summary>
    /// The sidecar's identity: where its SVID and the trust bundles come from (identity files, or the Workload API
    /// when no file is configured), the X.509-SVID validation of the peers, the handshake, the registry of open agent
    /// connections, readiness, expiry metrics and the sidecar's own SPIFFE ID for the tokens it mints.
    /// </summary>
    public static IServiceCollection AddSidecarIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<IdentityOptions>().Bind(configuration.GetSection(IdentityOptions.SectionName));
        AddIdentitySource(services, configuration);
        services.TryAddSingleton<IIdentityMaterialSource, UnavailableIdentityMaterialSource>();
        services.TryAddSingleton<X509SvidValidator>();
        services.TryAddSingleton<AgentTlsHandshake>();
        services.TryAddSingleton<AgentConnectionRegistry>();
        services.TryAddSingleton<IdentityExpiryMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IReadinessCheck, IdentityReadinessCheck>());
        services.TryAddSingleton<ISidecarIdentity>(sp => new ServerCertificateSidecarIdentity(sp.GetService<IIdentityMaterialSource>()));
        return services;
    }

    private static void AddIdentitySource(IServiceCollection services, IConfiguration configuration)
    {
        var identity = configuration.GetSection(IdentityOptions.SectionName).Get<IdentityOptions>() ?? new IdentityOptions();
        if (!identity.UsesFiles)
        {
            // Files win when both are configured: an explicit file layout is a deliberate operator choice,
            // while SPIFFE_ENDPOINT_SOCKET may merely be inherited from the pod's environment.
            if (WorkloadApiServiceCollectionExtensions.IsWorkloadApiConfigured(configuration))
            {
                services.AddWorkloadApiIdentity(configuration);
            }

            return;
        }

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<IdentityOptions>>().Value;
            var files = new IdentityFiles(options.ServerCertificate!, options.ServerKey!, options.TrustBundles);
            return new FileIdentityMaterialSource(
                files,
                options.PollInterval,
                options.Debounce,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<FileIdentityMaterialSource>>());
        });
        services.TryAddSingleton<IIdentityMaterialSource>(sp => sp.GetRequiredService<FileIdentityMaterialSource>());
        services.TryAddSingleton<IIdentityReloadStatus>(sp => sp.GetRequiredService<FileIdentityMaterialSource>());
    }
}
