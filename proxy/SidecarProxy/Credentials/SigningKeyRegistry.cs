using Microsoft.Extensions.Options;

namespace SidecarProxy.Credentials;

/// <summary>
/// Every signing key ring the sidecar uses: one per <c>jwt</c> provider and one for the subject tokens of
/// <c>token_exchange</c>. The JWKS endpoint publishes the union, so a tool or an STS verifies any token the
/// sidecar minted from one document.
/// </summary>
internal sealed class SigningKeyRegistry : IDisposable
{
    // Subject tokens live for seconds; hourly rotation bounds the life of any one key without churn.
    private static readonly TimeSpan SubjectTokenKeyRotation = TimeSpan.FromHours(1);

    private readonly Dictionary<string, SigningKeyRing> _providerRings = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<SigningKeyRing> _subjectTokenRing;

    public SigningKeyRegistry(IOptions<CredentialsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        foreach (var (name, provider) in options.Value.Providers)
        {
            if (CredentialKindNames.TryParse(provider.Kind, out var kind) && kind == CredentialKind.Jwt)
            {
                _providerRings[name] = provider.SigningKeyPath is { } path
                    ? SigningKeyRing.FromPemFile(time, path)
                    : SigningKeyRing.Generate(time, provider.KeyRotationInterval);
            }
        }

        var needsSubjectTokens = options.Value.Providers.Values.Any(p =>
            CredentialKindNames.TryParse(p.Kind, out var k) && k == CredentialKind.TokenExchange);
        _subjectTokenRing = new Lazy<SigningKeyRing>(() => SigningKeyRing.Generate(time, SubjectTokenKeyRotation));
        if (needsSubjectTokens)
        {
            // Created now so the key is in the JWKS before the first exchange, when the STS may fetch it.
            _ = _subjectTokenRing.Value;
        }
    }

    public SigningKeyRing ForProvider(string providerName) =>
        _providerRings.TryGetValue(providerName, out var ring)
            ? ring
            : throw new InvalidOperationException($"no signing key ring for provider '{providerName}'");

    public SigningKeyRing SubjectTokens => _subjectTokenRing.Value;

    public IEnumerable<SigningKeyRing> All()
    {
        foreach (var ring in _providerRings.Values)
        {
            yield return ring;
        }

        if (_subjectTokenRing.IsValueCreated)
        {
            yield return _subjectTokenRing.Value;
        }
    }

    public void Dispose()
    {
        foreach (var ring in All())
        {
            ring.Dispose();
        }
    }
}
