using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Revocation;

namespace SidecarProxy.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The admin API's services: who may call it, the audit of its changes, and the sweep of expired revocations.</summary>
    public static IServiceCollection AddSidecarAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddSingleton<AdminAuthorizer>();
        services.TryAddSingleton<AdminAudit>();
        services.TryAddSingleton<RevocationExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationExpirySweeper>());
        return services;
    }
}
