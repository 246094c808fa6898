using System.Collections.Frozen;

namespace SidecarProxy.Routing;

/// <summary>
/// The complete set of agent request headers removed before forwarding and before the policy input is built:
/// built-in credential and identity headers plus every <see cref="IStrippedHeaderSource"/>.
/// </summary>
internal sealed class StrippedHeaders
{
    /// <summary>
    /// Credentials (Authorization, Proxy-Authorization, Cookie), identity assertions a tool might trust from a
    /// proxy (client-certificate and SPIFFE headers set by Envoy, nginx, Traefik) and the task grant, which is
    /// addressed to the sidecar only.
    /// </summary>
    public static readonly IReadOnlyList<string> BuiltIn =
    [
        "Authorization", "Proxy-Authorization", "Cookie",
        "X-Forwarded-Client-Cert", "X-Client-Cert", "X-Client-Certificate", "X-SSL-Client-Cert", "Ssl-Client-Cert",
        "X-SSL-Client-DN", "X-SSL-Client-Verify", "X-Spiffe-Id", "X-Forwarded-User", "X-Forwarded-Email",
        "X-Auth-Request-User", "X-Auth-Request-Email", "X-Remote-User", "X-Task-Grant",
    ];

    public StrippedHeaders(IEnumerable<IStrippedHeaderSource> sources)
    {
        Names = BuiltIn
            .Concat(sources.SelectMany(s => s.HeaderNames))
            .ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    public FrozenSet<string> Names { get; }

    public bool Contains(string headerName) => Names.Contains(headerName);
}
