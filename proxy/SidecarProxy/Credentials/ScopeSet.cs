namespace SidecarProxy.Credentials;

/// <summary>
/// Scopes as a set: de-duplicated and sorted ordinally, so the same grant always gives the same cache key and
/// the same <c>scope</c> string whatever order the policy listed them in.
/// </summary>
internal static class ScopeSet
{
    public static IReadOnlyList<string> Normalize(IEnumerable<string> scopes, IEnumerable<string>? extra = null)
    {
        // The common case on the request path: the policy already lists valid scopes in order, once each.
        if (extra is null && scopes is IReadOnlyList<string> list && IsNormalized(list))
        {
            return list;
        }

        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in scopes.Concat(extra ?? []))
        {
            if (!IsValidScope(s))
            {
                // A space or quote inside one scope would silently widen or corrupt the space-separated list.
                throw new CredentialUnavailableException("a requested scope is not a valid scope token");
            }

            set.Add(s);
        }

        return [.. set];
    }

    public static string Join(IReadOnlyList<string> normalized) => normalized.Count switch
    {
        0 => string.Empty,
        1 => normalized[0],
        _ => string.Join(' ', normalized),
    };

    private static bool IsNormalized(IReadOnlyList<string> scopes)
    {
        for (var i = 0; i < scopes.Count; i++)
        {
            if (!IsValidScope(scopes[i]) || (i > 0 && string.CompareOrdinal(scopes[i - 1], scopes[i]) >= 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 6749 section 3.3: <c>scope-token = 1*( %x21 / %x23-5B / %x5D-7E )</c>.</summary>
    public static bool IsValidScope(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return false;
        }

        foreach (var c in scope)
        {
            if (c < 0x21 || c > 0x7E || c == '"' || c == '\\')
            {
                return false;
            }
        }

        return true;
    }
}
