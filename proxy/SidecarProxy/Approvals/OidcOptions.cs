namespace SidecarProxy.Approvals;

/// <summary>
/// <c>Sidecar:Approvals:Oidc</c>: people log in to the approval console through this OpenID Connect issuer
/// (authorization code flow with PKCE). Without <see cref="Authority"/> people cannot log in, and the console (served
/// on the admin listener whenever it is configured) is for admin SPIFFE IDs only. See docs/approvals.md.
/// </summary>
internal sealed record OidcOptions
{
    public const string SectionName = "Sidecar:Approvals:Oidc";

    /// <summary>The scopes asked for when none are configured (<c>openid</c> is always asked for).</summary>
    public static readonly IReadOnlyList<string> DefaultScopes = ["openid", "profile", "email"];

    /// <summary>The issuer URL (its discovery document is <c>/.well-known/openid-configuration</c> under it): <c>https://</c>, or <c>http://</c> on a loopback address only. Null: no login for people.</summary>
    public Uri? Authority { get; init; }

    /// <summary>The console's client id at the issuer. Required with <see cref="Authority"/>.</summary>
    public string? ClientId { get; init; }

    /// <summary>The client secret (a confidential client); set it through the environment (<c>Sidecar__Approvals__Oidc__ClientSecret</c>), never in a file under version control. Never logged.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>A file holding the client secret (e.g. a mounted Kubernetes secret), read at start-up; not together with <see cref="ClientSecret"/>.</summary>
    public string? ClientSecretFile { get; init; }

    /// <summary>The id_token claim listing the person's roles, whose values are sidecar roles: <c>approve</c>, <c>approve:&lt;group&gt;</c>, <c>read</c> [roles].</summary>
    public string RolesClaim { get; init; } = "roles";

    /// <summary>The scopes asked for; empty: <see cref="DefaultScopes"/>.</summary>
    public List<string> Scopes { get; init; } = [];

    /// <summary>How long a console session lasts before the person logs in again [01:00:00].</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Whether people log in to the console.</summary>
    public bool Enabled => Authority is not null;

    /// <summary>The scopes to ask for: the configured ones (or the defaults), with <c>openid</c>.</summary>
    public IReadOnlyList<string> EffectiveScopes =>
        [.. (Scopes.Count > 0 ? Scopes : DefaultScopes).Prepend("openid").Distinct(StringComparer.Ordinal)];

    /// <summary>Whether the authority may be plain HTTP: only on a loopback address (a local test issuer).</summary>
    public static bool IsLoopbackHttp(Uri authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback;
    }
}
