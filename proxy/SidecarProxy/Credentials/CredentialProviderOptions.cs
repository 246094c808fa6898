namespace SidecarProxy.Credentials;

/// <summary>
/// One provider, bound from <c>Sidecar:Credentials:&lt;name&gt;</c>. Which keys are required depends on
/// <see cref="Kind"/>; <see cref="CredentialsOptionsValidator"/> lists every missing or bad one.
/// </summary>
internal sealed record CredentialProviderOptions
{
    /// <summary>Required: <c>jwt</c>, <c>oauth2_client_credentials</c>, <c>token_exchange</c> or <c>static</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Header to inject [Authorization].</summary>
    public string Header { get; init; } = "Authorization";

    /// <summary>Scheme put before the token [Bearer]; empty for none. Ignored by <c>static</c>.</summary>
    public string Scheme { get; init; } = "Bearer";

    /// <summary>Longest lifetime of an issued (or cached) credential [00:05:00].</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Deadline for one call to the token endpoint [00:00:05].</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>jwt: <c>iss</c> of minted tokens [the sidecar's SPIFFE ID]; token_exchange: <c>iss</c> of the subject token.</summary>
    public string? Issuer { get; init; }

    /// <summary>jwt: <c>aud</c> [the tool id]; token_exchange: the <c>audience</c> parameter [the tool id].</summary>
    public string? Audience { get; init; }

    /// <summary>jwt: PEM file with a P-256 private key [a key generated at start-up and rotated].</summary>
    public string? SigningKeyPath { get; init; }

    /// <summary>jwt with a generated key: how often a new signing key is made [01:00:00].</summary>
    public TimeSpan KeyRotationInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>oauth2_client_credentials (required), token_exchange (required): the token endpoint URL.</summary>
    public Uri? TokenEndpoint { get; init; }

    /// <summary>
    /// oauth2_client_credentials, token_exchange (optional): the issuer's RFC 7009 revocation endpoint. When set, tokens
    /// of this provider still cached for an agent or task that is revoked are revoked there (in the background).
    /// </summary>
    public Uri? RevocationEndpoint { get; init; }

    /// <summary>oauth2_client_credentials (required), token_exchange (optional): the client id.</summary>
    public string? ClientId { get; init; }

    /// <summary>File holding the client secret; must not be readable by the agent. Required with a ClientId.</summary>
    public string? ClientSecretPath { get; init; }

    /// <summary>How the client authenticates: <c>basic</c> (RFC 6749 2.3.1) or <c>post</c> (form fields) [basic].</summary>
    public string ClientAuthentication { get; init; } = "basic";

    /// <summary>Scopes always requested in addition to the decision's.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>token_exchange: the <c>resource</c> parameter (an absolute URI), when the STS wants one.</summary>
    public Uri? Resource { get; init; }

    /// <summary>static (required): file whose trimmed content is the whole header value.</summary>
    public string? SecretPath { get; init; }
}
