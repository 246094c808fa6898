namespace SidecarProxy.Model;

/// <summary>
/// The SVID validation result of a connection, set once during the TLS handshake on the connection's features
/// and read by every request on that connection (Kestrel's request features fall back to connection features).
/// </summary>
internal interface IPeerIdentityFeature
{
    SvidValidationResult Result { get; }
}

internal sealed class PeerIdentityFeature(SvidValidationResult result) : IPeerIdentityFeature
{
    public SvidValidationResult Result { get; } = result;
}
