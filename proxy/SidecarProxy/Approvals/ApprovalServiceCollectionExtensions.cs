using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Routing;

namespace SidecarProxy.Approvals;

internal static class ApprovalServiceCollectionExtensions
{
    /// <summary>
    /// <c>Sidecar:Approvals</c> with its validator, the store (<see cref="RedisApprovalStore"/> with
    /// <c>Sidecar:Approvals:Redis</c>, else <see cref="InMemoryApprovalStore"/>, unless an <see cref="IApprovalStore"/>
    /// is registered first), the webhook notifier, the gate, the monitor (audit, metrics, revocation hook),
    /// the sweeper, and <c>X-Approval-Id</c> in the stripped headers.
    /// </summary>
    public static IServiceCollection AddSidecarApprovals(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ApprovalOptions>()
            .Bind(configuration.GetSection(ApprovalOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>());
        if (!string.IsNullOrWhiteSpace(configuration.GetSection(ApprovalOptions.SectionName)["Redis"]))
        {
            services.TryAddSingleton<ApprovalRedisConnection>();
            services.AddHostedService(sp => sp.GetRequiredService<ApprovalRedisConnection>());
            services.TryAddSingleton<IApprovalStore, RedisApprovalStore>();
        }

        services.TryAddSingleton<IApprovalStore, InMemoryApprovalStore>();
        services.TryAddSingleton<ApprovalMonitor>();
        services.TryAddSingleton<ApprovalGate>();
        services.TryAddSingleton<ApprovalWebhookNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ApprovalWebhookNotifier>());
        services.TryAddSingleton<ApprovalSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ApprovalSweeper>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Routing.IStrippedHeaderSource, ApprovalStrippedHeaderSource>());
        return services;
    }
}
