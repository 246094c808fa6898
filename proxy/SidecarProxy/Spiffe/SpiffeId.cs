namespace SidecarProxy.Spiffe;

/// <summary>
/// A SPIFFE ID (<c>spiffe://trust-domain/path</c>), parsed exactly as go-spiffe's <c>spiffeid.FromString</c>:
/// lowercase scheme, trust domain of <c>[a-z0-9._-]</c> (so no port, userinfo or uppercase), path segments of
/// <c>[A-Za-z0-9._-]</c> without empty, <c>.</c> or <c>..</c> segments and without a trailing slash. Query and
/// fragment characters are not allowed anywhere. The default value is the "zero" ID.
/// </summary>
internal readonly struct SpiffeId : IEquatable<SpiffeId>
{
    private readonly string? _id;
    private readonly int _pathStart;

    private SpiffeId(string id, int pathStart)
    {
        _id = id;
        _pathStart = pathStart;
    }

    public bool IsZero => _id is null;

    public TrustDomain TrustDomain =>
        _id is null ? default : TrustDomain.FromValidated(_id[SpiffeIdSyntax.SchemePrefix.Length.._pathStart]);

    /// <summary>The path including its leading slash, or empty for a trust domain ID.</summary>
    public string Path => _id is null ? string.Empty : _id[_pathStart..];

    public static SpiffeId FromString(string id) =>
        TryParse(id, out var result, out var error) ? result : throw new SpiffeIdFormatException(error);

    /// <summary>
    /// Parses the URI's original text. <see cref="Uri"/> normalises (lowercases the host, removes dot segments),
    /// which would turn invalid IDs into valid ones, so the normalised form is never used.
    /// </summary>
    public static SpiffeId FromUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return FromString(uri.OriginalString);
    }

    /// <summary>Never throws: either returns true, or false with exactly one <see cref="SpiffeIdError"/>.</summary>
    public static bool TryParse(string? id, out SpiffeId result, out SpiffeIdError error)
    {
        result = default;
        if (string.IsNullOrEmpty(id))
        {
            error = SpiffeIdError.Empty;
            return false;
        }

        if (!id.StartsWith(SpiffeIdSyntax.SchemePrefix, StringComparison.Ordinal))
        {
            error = SpiffeIdError.WrongScheme;
            return false;
        }

        var start = SpiffeIdSyntax.SchemePrefix.Length;
        var i = start;
        for (; i < id.Length; i++)
        {
            var c = id[i];
            if (c == '/')
            {
                break;
            }

            if (!SpiffeIdSyntax.IsTrustDomainChar(c))
            {
                error = SpiffeIdError.BadTrustDomainChar;
                return false;
            }
        }

        if (i == start)
        {
            error = SpiffeIdError.MissingTrustDomain;
            return false;
        }

        error = SpiffeIdSyntax.ValidatePath(id.AsSpan(i));
        if (error != SpiffeIdError.None)
        {
            return false;
        }

        result = new SpiffeId(id, i);
        return true;
    }

    /// <summary>Builds an ID from a trust domain and path segments, validating each segment.</summary>
    public static SpiffeId FromSegments(TrustDomain trustDomain, params string[] segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (trustDomain.IsZero)
        {
            throw new SpiffeIdFormatException(SpiffeIdError.MissingTrustDomain);
        }

        foreach (var segment in segments)
        {
            // A slash inside a segment would silently become two segments.
            if (segment is null || segment.Contains('/', StringComparison.Ordinal))
            {
                throw new SpiffeIdFormatException(SpiffeIdError.BadPathSegmentChar);
            }
        }

        var path = segments.Length == 0 ? string.Empty : "/" + string.Join('/', segments);
        return FromString(trustDomain.IdString + path);
    }

    public bool Equals(SpiffeId other) => string.Equals(_id, other._id, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is SpiffeId other && Equals(other);

    public override int GetHashCode() => _id is null ? 0 : StringComparer.Ordinal.GetHashCode(_id);

    public override string ToString() => _id ?? string.Empty;

    public static bool operator ==(SpiffeId left, SpiffeId right) => left.Equals(right);

    public static bool operator !=(SpiffeId left, SpiffeId right) => !left.Equals(right);
}
