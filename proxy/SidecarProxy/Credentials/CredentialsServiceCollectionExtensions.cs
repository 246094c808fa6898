using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;
using SidecarProxy.Identity;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Credentials;

/// <summary>Registers credentials, task grants and the audit trail.</summary>
internal static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CredentialBroker"/>, <see cref="TaskGrantValidator"/>, <see cref="AuditWriter"/> (also as
    /// a hosted service that drains on stop), <see cref="JwksDocumentBuilder"/> and their options, validated at
    /// start-up with every error listed.
    /// </summary>
    public static IServiceCollection AddSidecarCredentials(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CredentialsOptions>()
            .Configure(o => CredentialsOptionsBinder.Bind(configuration, o))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CredentialsOptions>, CredentialsOptionsValidator>());

        // Per-call deadlines come from each provider's Timeout; the client-wide one is only a backstop.
        // Header values are credentials (Basic client auth); the factory's request logging must never show them.
        // A redirect from a token endpoint is answered as an error, not followed with the client's credentials.
        services.AddHttpClient(TokenEndpointClient.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(1))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RedactLoggedHeaders(_ => true);
        services.TryAddSingleton<ISidecarIdentity>(sp => new ServerCertificateSidecarIdentity(sp.GetService<IIdentityMaterialSource>()));
        services.TryAddSingleton<SigningKeyRegistry>();
        services.TryAddSingleton<JwksDocumentBuilder>();
        services.TryAddSingleton<TokenEndpointClient>();
        services.TryAddSingleton<CredentialProviderRegistry>();
        services.TryAddSingleton(sp => new CredentialCache(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<CredentialsOptions>>().Value.CacheMaxEntries,
            sp.GetRequiredService<ILogger<CredentialCache>>()));
        services.TryAddSingleton<CredentialBroker>();

        services.AddSidecarTaskGrants(configuration);
        services.AddSidecarAudit(configuration);

        // After the audit writer: hosted services stop in reverse order, so pending revocations are still audited.
        services.TryAddSingleton<Observability.SidecarMetrics>();
        services.TryAddSingleton<TokenRevoker>();
        services.AddHostedService(sp => sp.GetRequiredService<TokenRevoker>());
        return services;
    }
}
