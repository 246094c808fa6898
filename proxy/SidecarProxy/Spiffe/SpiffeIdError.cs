namespace SidecarProxy.Spiffe;

/// <summary>
/// The closed set of reasons a string is not a SPIFFE ID. Values and messages follow go-spiffe's
/// <c>spiffeid</c> package so operators see the same wording across SPIFFE tooling.
/// </summary>
internal enum SpiffeIdError
{
    None = 0,
    Empty,
    WrongScheme,
    MissingTrustDomain,
    BadTrustDomainChar,
    NoLeadingSlash,
    EmptySegment,
    DotSegment,
    BadPathSegmentChar,
    TrailingSlash,
}

internal static class SpiffeIdErrorExtensions
{
    public static string Message(this SpiffeIdError error) => error switch
    {
        SpiffeIdError.None => "no error",
        SpiffeIdError.Empty => "cannot be empty",
        SpiffeIdError.WrongScheme => "scheme is missing or invalid",
        SpiffeIdError.MissingTrustDomain => "trust domain is missing",
        SpiffeIdError.BadTrustDomainChar =>
            "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
        SpiffeIdError.NoLeadingSlash => "path must have a leading slash",
        SpiffeIdError.EmptySegment => "path cannot contain empty segments",
        SpiffeIdError.DotSegment => "path cannot contain dot segments",
        SpiffeIdError.BadPathSegmentChar =>
            "path segment characters are limited to letters, numbers, dots, dashes, and underscores",
        SpiffeIdError.TrailingSlash => "path cannot have a trailing slash",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };
}
