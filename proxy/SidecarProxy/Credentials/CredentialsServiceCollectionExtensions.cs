using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Model;

namespace SidecarProxy.Credentials;

/// <summary>Registers the credential providers, their cache and broker, and the JWKS of minted tokens.</summary>
internal static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CredentialBroker"/>, <see cref="JwksDocumentBuilder"/> and their options, validated at
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
        // Without the identity component (which registers the serving SVID's ID), minted tokens need an explicit Issuer.
        services.TryAddSingleton<ISidecarIdentity>(new NoSidecarIdentity());
        services.TryAddSingleton<SigningKeyRegistry>();
        services.TryAddSingleton<JwksDocumentBuilder>();
        services.TryAddSingleton<TokenEndpointClient>();
        services.TryAddSingleton<CredentialProviderRegistry>();
        services.TryAddSingleton(sp => new CredentialCache(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<CredentialsOptions>>().Value.CacheMaxEntries,
            sp.GetRequiredService<ILogger<CredentialCache>>()));
        services.TryAddSingleton<CredentialBroker>();

        // Revokes purged tokens at their issuer (RFC 7009) in the background; stopped after the host's other services.
        services.TryAddSingleton<TokenRevoker>();
        services.AddHostedService(sp => sp.GetRequiredService<TokenRevoker>());
        return services;
    }
}
