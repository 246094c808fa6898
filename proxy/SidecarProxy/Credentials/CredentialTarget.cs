using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Credentials;

/// <summary>
/// Whom a route's credential is for, when the route says so (RFC 8707 resource indicators): route
/// <c>Metadata.CredentialResource</c>, the canonical URI of the server (for an MCP server, the URI its MCP
/// clients connect to), sent as <c>resource</c>; and <c>Metadata.CredentialAudience</c>, sent as <c>audience</c>.
/// Each server then gets a token minted for it alone, and a token cached for one server is never injected for
/// another (both are part of the cache key). Absent: the provider's own settings apply, as before.
/// </summary>
internal sealed record CredentialTarget(Uri? Resource, string? Audience)
{
    public const string ResourceKey = "CredentialResource";
    public const string AudienceKey = "CredentialAudience";

    public static readonly CredentialTarget None = new(null, null);

    public bool IsNone => Resource is null && Audience is null;

    /// <summary>The route's target; call only for a route <see cref="Validate"/> accepted.</summary>
    public static CredentialTarget For(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var metadata = route.Metadata;
        if (metadata is null)
        {
            return None;
        }

        var resource = metadata.TryGetValue(ResourceKey, out var r) && !string.IsNullOrWhiteSpace(r) ? new Uri(r, UriKind.Absolute) : null;
        var audience = metadata.TryGetValue(AudienceKey, out var a) && !string.IsNullOrWhiteSpace(a) ? a : null;
        return resource is null && audience is null ? None : new CredentialTarget(resource, audience);
    }

    /// <summary>Configuration errors: a resource that is not an absolute URI without fragment (RFC 8707 section 2), or a target without a credential.</summary>
    public static IEnumerable<string> Validate(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var metadata = route.Metadata;
        if (metadata is null)
        {
            yield break;
        }

        var hasResource = metadata.TryGetValue(ResourceKey, out var resource);
        var hasAudience = metadata.TryGetValue(AudienceKey, out var audience);
        // On Unix "/x" parses as an absolute file URI: the scheme must be written out.
        if (hasResource && (!Uri.TryCreate(resource, UriKind.Absolute, out var uri)
            || !resource!.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase)
            || uri.Fragment.Length > 0 || resource.Contains('#', StringComparison.Ordinal)))
        {
            yield return $"route '{route.RouteId}': Metadata.{ResourceKey} must be an absolute URI without a fragment (RFC 8707)";
        }

        if (hasAudience && string.IsNullOrWhiteSpace(audience))
        {
            yield return $"route '{route.RouteId}': Metadata.{AudienceKey} must not be empty";
        }

        if ((hasResource || hasAudience) && (!metadata.TryGetValue(Model.ToolDescriptor.CredentialKey, out var credential) || string.IsNullOrWhiteSpace(credential)))
        {
            yield return $"route '{route.RouteId}': Metadata.{ResourceKey} and {AudienceKey} need a Metadata.Credential";
        }
    }
}
