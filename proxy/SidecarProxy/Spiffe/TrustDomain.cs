namespace SidecarProxy.Spiffe;

/// <summary>
/// A SPIFFE trust domain name such as <c>example.org</c>. A value type like go-spiffe's
/// <c>spiffeid.TrustDomain</c>; the default value is the "zero" trust domain and is never valid.
/// </summary>
internal readonly struct TrustDomain : IEquatable<TrustDomain>
{
    private readonly string? _name;

    private TrustDomain(string name) => _name = name;

    /// <summary>The trust domain name, or the empty string for the zero value.</summary>
    public string Name => _name ?? string.Empty;

    public bool IsZero => _name is null;

    /// <summary>The SPIFFE ID of the trust domain itself (<c>spiffe://name</c>).</summary>
    public string IdString => SpiffeIdSyntax.SchemePrefix + Name;

    /// <summary>Parses a bare trust domain name (no scheme, no path).</summary>
    public static TrustDomain FromString(string name) =>
        TryParse(name, out var td, out var error) ? td : throw new SpiffeIdFormatException(error);

    public static bool TryParse(string? name, out TrustDomain trustDomain, out SpiffeIdError error)
    {
        trustDomain = default;
        if (string.IsNullOrEmpty(name))
        {
            error = SpiffeIdError.MissingTrustDomain;
            return false;
        }

        foreach (var c in name)
        {
            if (!SpiffeIdSyntax.IsTrustDomainChar(c))
            {
                error = SpiffeIdError.BadTrustDomainChar;
                return false;
            }
        }

        trustDomain = new TrustDomain(name);
        error = SpiffeIdError.None;
        return true;
    }

    // Only for the SPIFFE ID parser, which has already checked every character.
    internal static TrustDomain FromValidated(string name) => new(name);

    public bool Equals(TrustDomain other) => string.Equals(_name, other._name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is TrustDomain other && Equals(other);

    public override int GetHashCode() => _name is null ? 0 : StringComparer.Ordinal.GetHashCode(_name);

    public override string ToString() => Name;

    public static bool operator ==(TrustDomain left, TrustDomain right) => left.Equals(right);

    public static bool operator !=(TrustDomain left, TrustDomain right) => !left.Equals(right);
}
