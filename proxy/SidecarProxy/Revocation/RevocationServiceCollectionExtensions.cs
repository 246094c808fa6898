using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Observability;

namespace SidecarProxy.Revocation;

internal static class RevocationServiceCollectionExtensions
{
    /// <summary>The revocation store (as <see cref="IRevocationCheck"/> unless one is registered) and its enforcement.</summary>
    public static IServiceCollection AddSidecarRevocations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RevocationOptions>().Bind(configuration.GetSection(RevocationOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RevocationOptions>, RevocationOptionsValidator>());
        services.TryAddSingleton<RevocationStore>();
        services.TryAddSingleton<IRevocationCheck>(sp => sp.GetRequiredService<RevocationStore>());
        services.TryAddSingleton<TaskRequestRegistry>();
        services.TryAddSingleton<RevocationEnforcer>();
        services.AddSidecarFleetRevocations(configuration);
        services.TryAddSingleton<PolicyContainmentApplier>();
        return services;
    }

    /// <summary>
    /// Loads the state file (before any listener opens: <c>Build</c> runs before the host starts) and exports the
    /// active-record gauge. A state file that cannot be read stops start-up: an empty list would silently
    /// re-admit every revoked identity.
    /// </summary>
    public static void StartRevocations(IServiceProvider services)
    {
        var store = services.GetRequiredService<RevocationStore>();
        try
        {
            store.Load();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var path = services.GetRequiredService<IOptions<RevocationOptions>>().Value.StatePath;
            throw new StartupException($"Sidecar:Revocations:StatePath: cannot load '{path}': {ex.Message}");
        }

        var metrics = services.GetRequiredService<SidecarMetrics>();
        metrics.RevocationsActive.WithLabels(RevocationActions.Revoke).Set(0);
        metrics.RevocationsActive.WithLabels(RevocationActions.Quarantine).Set(0);
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            foreach (var action in RevocationActions.All)
            {
                metrics.RevocationsActive.WithLabels(action).Set(store.CountActive(action));
            }
        });
    }
}
