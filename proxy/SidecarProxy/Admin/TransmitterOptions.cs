using SidecarProxy.Spiffe;


namespace SidecarProxy.Admin;

/// <summary>
/// One entry of <c>Sidecar:Admin:Transmitters</c>: a Shared Signals transmitter whose Security Event Tokens the
/// sidecar accepts on <c>POST /admin/ssf/events</c> (RFC 8935 push delivery). A SET is authenticated by its
/// signature with these keys; the caller must still present a valid X.509-SVID on the admin listener.
/// </summary>
internal sealed record TransmitterOptions
{
    /// <summary>Required: the transmitter's <c>iss</c>, compared exactly.</summary>
    public string? Issuer { get; init; }

    /// <summary>Required: the <c>aud</c> this sidecar expects in the transmitter's SETs.</summary>
    public string? Audience { get; init; }

    /// <summary>A JWKS file with the transmitter's public keys (exactly one of JwksPath and JwksUrl).</summary>
    public string? JwksPath { get; init; }

    /// <summary>A JWKS URL with the transmitter's public keys (exactly one of JwksPath and JwksUrl).</summary>
    public Uri? JwksUrl { get; init; }

    /// <summary>Optional: the SPIFFE ID (or glob, as admin principals) the pushing caller's SVID must have.</summary>
    public string? SpiffeId { get; init; }

    /// <summary>Oldest <c>iat</c> accepted; also how long a <c>jti</c> is remembered against replay [00:10:00].</summary>
    public TimeSpan MaxEventAge { get; init; } = TimeSpan.FromMinutes(10);
}
