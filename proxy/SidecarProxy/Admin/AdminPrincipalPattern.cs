using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Admin;

/// <summary>
/// A SPIFFE ID pattern of <c>Sidecar:Admin:Principals</c>: an exact ID, or a glob over its segments (the trust
/// domain is the first segment) where <c>*</c> matches any characters within one segment and a segment <c>**</c>
/// matches any number of segments (as the shipped policy's <c>glob.match(pattern, ["/"], id)</c>).
/// </summary>
internal sealed class AdminPrincipalPattern
{
    private readonly string _pattern;
    private readonly string[]? _segments;

    private AdminPrincipalPattern(string pattern)
    {
        _pattern = pattern;
        _segments = pattern.Contains('*', StringComparison.Ordinal)
            ? pattern[SpiffeIdSyntax.SchemePrefix.Length..].Split('/')
            : null;
    }

    /// <summary>Null and a reason when <paramref name="pattern"/> is not a SPIFFE ID or a valid glob of one.</summary>
    public static AdminPrincipalPattern? TryCreate(string? pattern, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(pattern))
        {
            error = "is required";
            return null;
        }

        if (!pattern.StartsWith(SpiffeIdSyntax.SchemePrefix, StringComparison.Ordinal))
        {
            error = $"'{pattern}' is not a SPIFFE ID (it must start with spiffe://)";
            return null;
        }

        var segments = pattern[SpiffeIdSyntax.SchemePrefix.Length..].Split('/');
        if (segments.Any(s => s.Contains("**", StringComparison.Ordinal) && s != "**"))
        {
            error = $"'{pattern}': ** must be a whole path segment";
            return null;
        }

        if (segments[0].Contains('*', StringComparison.Ordinal))
        {
            error = $"'{pattern}': the trust domain cannot be a glob";
            return null;
        }

        var probe = pattern.Replace("**", "x", StringComparison.Ordinal).Replace("*", "x", StringComparison.Ordinal);
        if (!SpiffeId.TryParse(probe, out _, out var parseError))
        {
            error = $"'{pattern}' is not a valid SPIFFE ID: {parseError.Message()}";
            return null;
        }

        return new AdminPrincipalPattern(pattern);
    }

    public bool Matches(SpiffeId id)
    {
        var text = id.ToString();
        if (_segments is null)
        {
            return string.Equals(_pattern, text, StringComparison.Ordinal);
        }

        return MatchSegments(_segments, 0, text[SpiffeIdSyntax.SchemePrefix.Length..].Split('/'), 0);
    }

    private static bool MatchSegments(string[] pattern, int p, string[] id, int i)
    {
        while (p < pattern.Length)
        {
            if (pattern[p] == "**")
            {
                for (var skip = i; skip <= id.Length; skip++)
                {
                    if (MatchSegments(pattern, p + 1, id, skip))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (i >= id.Length || !MatchSegment(pattern[p], id[i]))
            {
                return false;
            }

            p++;
            i++;
        }

        return i == id.Length;
    }

    // '*' matches any run of characters (possibly empty) within the segment.
    private static bool MatchSegment(string pattern, string segment)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return string.Equals(pattern, segment, StringComparison.Ordinal);
        }

        if (!segment.StartsWith(parts[0], StringComparison.Ordinal))
        {
            return false;
        }

        var position = parts[0].Length;
        for (var k = 1; k < parts.Length - 1; k++)
        {
            var found = segment.IndexOf(parts[k], position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[k].Length;
        }

        var last = parts[^1];
        return segment.Length - position >= last.Length && segment.EndsWith(last, StringComparison.Ordinal);
    }
}
