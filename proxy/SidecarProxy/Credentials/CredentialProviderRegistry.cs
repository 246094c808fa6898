using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Model;

namespace SidecarProxy.Credentials;

/// <summary>The configured providers by name, built once from validated options.</summary>
internal sealed class CredentialProviderRegistry
{
    private readonly Dictionary<string, ICredentialProvider> _providers = new(StringComparer.OrdinalIgnoreCase);

    public CredentialProviderRegistry(
        IOptions<CredentialsOptions> options,
        SigningKeyRegistry signingKeys,
        TokenEndpointClient tokenEndpoint,
        ISidecarIdentity sidecarIdentity,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signingKeys);
        foreach (var (name, o) in options.Value.Providers)
        {
            if (!CredentialKindNames.TryParse(o.Kind, out var kind))
            {
                // Unreachable after validation; a provider we cannot build must not exist at all.
                continue;
            }

            _providers[name] = kind switch
            {
                CredentialKind.Jwt => new JwtCredentialProvider(name, o, signingKeys.ForProvider(name), sidecarIdentity, time),
                CredentialKind.OAuth2ClientCredentials => new ClientCredentialsProvider(name, o, tokenEndpoint, time),
                CredentialKind.TokenExchange => new TokenExchangeProvider(name, o, tokenEndpoint, signingKeys.SubjectTokens, sidecarIdentity, time),
                _ => new StaticCredentialProvider(name, o, time, loggerFactory.CreateLogger<StaticCredentialProvider>()),
            };
        }
    }

    // For Of: dependency injection only sees the public constructor.
    private CredentialProviderRegistry()
    {
    }

    /// <summary>A registry of providers built elsewhere (a test's provider whose fetches it counts and controls).</summary>
    internal static CredentialProviderRegistry Of(IEnumerable<ICredentialProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var registry = new CredentialProviderRegistry();
        foreach (var provider in providers)
        {
            registry._providers[provider.Name] = provider;
        }

        return registry;
    }

    public IEnumerable<ICredentialProvider> All => _providers.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out ICredentialProvider? provider) =>
        _providers.TryGetValue(name, out provider);
}
