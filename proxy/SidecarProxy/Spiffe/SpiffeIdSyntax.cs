namespace SidecarProxy.Spiffe;

/// <summary>Character classes and path rules of the SPIFFE ID grammar, shared by the ID and trust domain parsers.</summary>
internal static class SpiffeIdSyntax
{
    public const string SchemePrefix = "spiffe://";

    public static bool IsTrustDomainChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_';

    public static bool IsPathSegmentChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '.' or '_';

    /// <summary>Validates a path the way go-spiffe's <c>ValidatePath</c> does: empty is allowed here.</summary>
    public static SpiffeIdError ValidatePath(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            return SpiffeIdError.None;
        }

        if (path[0] != '/')
        {
            return SpiffeIdError.NoLeadingSlash;
        }

        var segmentStart = 0;
        var segmentEnd = 0;
        for (; segmentEnd < path.Length; segmentEnd++)
        {
            var c = path[segmentEnd];
            if (c == '/')
            {
                var error = CheckInnerSegment(path[segmentStart..segmentEnd]);
                if (error != SpiffeIdError.None)
                {
                    return error;
                }

                segmentStart = segmentEnd;
                continue;
            }

            if (!IsPathSegmentChar(c))
            {
                return SpiffeIdError.BadPathSegmentChar;
            }
        }

        var last = path[segmentStart..segmentEnd];
        if (last is "/")
        {
            return SpiffeIdError.TrailingSlash;
        }

        return last is "/." or "/.." ? SpiffeIdError.DotSegment : SpiffeIdError.None;
    }

    private static SpiffeIdError CheckInnerSegment(ReadOnlySpan<char> segmentWithSlash)
    {
        if (segmentWithSlash is "/")
        {
            return SpiffeIdError.EmptySegment;
        }

        return segmentWithSlash is "/." or "/.." ? SpiffeIdError.DotSegment : SpiffeIdError.None;
    }
}
