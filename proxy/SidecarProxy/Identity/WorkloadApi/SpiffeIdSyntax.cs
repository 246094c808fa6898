namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// The slice of SPIFFE ID syntax the Workload API client needs to key bundles by trust domain name:
/// <c>spiffe://</c>, a trust domain of <c>[a-z0-9._-]</c>, then path segments of <c>[A-Za-z0-9._-]</c> with no
/// empty, <c>.</c> or <c>..</c> segment and no trailing slash.
/// </summary>
internal static class SpiffeIdSyntax
{
    private const string Scheme = "spiffe://";

    /// <summary>Trust domain name of a workload SPIFFE ID (path required), or false when the ID is malformed.</summary>
    public static bool TryGetWorkloadTrustDomain(string? spiffeId, out string trustDomain)
    {
        trustDomain = string.Empty;
        if (spiffeId is null || !spiffeId.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = spiffeId.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !IsTrustDomainName(rest[..slash]) || !IsPath(rest[slash..]))
        {
            return false;
        }

        trustDomain = rest[..slash].ToString();
        return true;
    }

    /// <summary>
    /// Trust domain name from a federated-bundle key: the trust domain's SPIFFE ID (<c>spiffe://td</c>, what SPIRE
    /// sends) or a bare name (<c>td</c>, which go-spiffe also accepts).
    /// </summary>
    public static bool TryGetTrustDomainFromKey(string? key, out string trustDomain)
    {
        trustDomain = string.Empty;
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var name = key.StartsWith(Scheme, StringComparison.Ordinal) ? key.AsSpan(Scheme.Length) : key.AsSpan();
        if (!IsTrustDomainName(name))
        {
            return false;
        }

        trustDomain = name.ToString();
        return true;
    }

    private static bool IsTrustDomainName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPath(ReadOnlySpan<char> path)
    {
        // path starts with '/'; each segment between slashes must be non-empty and not a dot segment.
        var segments = path[1..];
        while (true)
        {
            var next = segments.IndexOf('/');
            var segment = next < 0 ? segments : segments[..next];
            if (segment.IsEmpty || segment is "." or "..")
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-'))
                {
                    return false;
                }
            }

            if (next < 0)
            {
                return true;
            }

            segments = segments[(next + 1)..];
        }
    }
}
