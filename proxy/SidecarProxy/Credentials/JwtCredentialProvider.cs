using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// Mints an ES256 JWT for exactly one (agent, task, tool, scopes): nothing to fetch, nothing shared, and a
/// lifetime no longer than the decision, the task and the provider allow.
/// </summary>
internal sealed class JwtCredentialProvider(
    string name,
    CredentialProviderOptions options,
    SigningKeyRing ring,
    ISidecarIdentity sidecarIdentity,
    TimeProvider time) : ICredentialProvider
{
    public string Name => name;

    public CredentialKind Kind => CredentialKind.Jwt;

    public string HeaderName => options.Header;

    public bool JustInTime => true;

    public TimeSpan MaxTtl => options.MaxTtl;

    public ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var issuer = options.Issuer ?? sidecarIdentity.SpiffeId
            ?? throw new CredentialUnavailableException($"credential provider '{name}': the sidecar's SPIFFE ID is not known yet");
        var now = CredentialLifetime.ToWholeSeconds(time.GetUtcNow());
        var expiresAt = CredentialLifetime.ToWholeSeconds(CredentialLifetime.Limit(now, request, options.MaxTtl));
        if (expiresAt <= now)
        {
            throw new CredentialUnavailableException("the task or the decision allows no credential lifetime");
        }

        var claims = new Dictionary<string, object>
        {
            ["sub"] = request.SpiffeId,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (request.TaskId is not null)
        {
            claims["task_id"] = request.TaskId;
        }

        if (request.Scopes.Count > 0)
        {
            claims["scope"] = ScopeSet.Join(request.Scopes);
        }

        var token = JwtMinter.Mint(ring, issuer, request.Audience ?? request.Resource?.AbsoluteUri ?? options.Audience ?? request.ToolId, now, expiresAt, claims);
        return ValueTask.FromResult(new ProviderCredential(HeaderValues.WithScheme(options.Scheme, token), expiresAt));
    }
}
