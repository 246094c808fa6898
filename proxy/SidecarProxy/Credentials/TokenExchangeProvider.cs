using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// RFC 8693 token exchange: the sidecar mints a short subject token asserting the agent's SPIFFE ID and task
/// (verifiable at the sidecar's JWKS) and trades it at an STS for a token for the tool.
/// </summary>
internal sealed class TokenExchangeProvider(
    string name,
    CredentialProviderOptions options,
    TokenEndpointClient tokenEndpoint,
    SigningKeyRing subjectTokenKeys,
    ISidecarIdentity sidecarIdentity,
    TimeProvider time) : ICredentialProvider
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    // The subject token only has to survive one round trip to the STS.
    private static readonly TimeSpan SubjectTokenLifetime = TimeSpan.FromSeconds(60);

    public string Name => name;

    public CredentialKind Kind => CredentialKind.TokenExchange;

    public string HeaderName => options.Header;

    public bool JustInTime => true;

    public TimeSpan MaxTtl => options.MaxTtl;

    public async ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scopes = ScopeSet.Normalize(request.Scopes, options.Scopes);
        var audience = request.Audience ?? options.Audience ?? request.ToolId;
        var resource = request.Resource ?? options.Resource;
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", GrantType),
            new("subject_token", MintSubjectToken(request)),
            new("subject_token_type", JwtTokenType),
            new("requested_token_type", AccessTokenType),
            new("audience", audience),
        };

        // The route's resource (RFC 8707) wins over the provider's: each server gets a token minted for it.
        if (resource is not null)
        {
            form.Add(new("resource", resource.AbsoluteUri));
        }

        if (scopes.Count > 0)
        {
            form.Add(new("scope", ScopeSet.Join(scopes)));
        }

        var requestedAt = time.GetUtcNow();
        // A JWT access token must name what was asked for: the audience, or the resource (some STSs put it in aud).
        string[] audiences = resource is not null
            ? [audience, resource.AbsoluteUri, resource.OriginalString]
            : [audience];
        var response = await tokenEndpoint.RequestAsync(name, options, form, cancellationToken, audiences);
        var expiresAt = requestedAt + (response.ExpiresIn ?? options.MaxTtl);
        return new ProviderCredential(HeaderValues.WithScheme(options.Scheme, response.AccessToken), expiresAt)
        {
            AccessToken = response.AccessToken,
        };
    }

    private string MintSubjectToken(CredentialRequest request)
    {
        var issuer = options.Issuer ?? sidecarIdentity.SpiffeId
            ?? throw new CredentialUnavailableException($"credential provider '{name}': the sidecar's SPIFFE ID is not known yet");
        var now = CredentialLifetime.ToWholeSeconds(time.GetUtcNow());
        var expiresAt = now + SubjectTokenLifetime;
        if (request.TaskExpiresAt is { } taskEnd && taskEnd < expiresAt)
        {
            expiresAt = CredentialLifetime.ToWholeSeconds(taskEnd);
        }

        if (expiresAt <= now)
        {
            throw new CredentialUnavailableException("the task allows no credential lifetime");
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

        // The audience of the subject token is the STS that consumes it (as in RFC 7523 assertions).
        return JwtMinter.Mint(subjectTokenKeys, issuer, options.TokenEndpoint!.AbsoluteUri, now, expiresAt, claims);
    }
}
