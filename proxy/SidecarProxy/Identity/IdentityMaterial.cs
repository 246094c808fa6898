using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Identity;

/// <summary>
/// The sidecar's own serving identity and the trust bundles it validates agents against, as one
/// immutable snapshot. A source swaps whole snapshots, so a handshake never sees a certificate from
/// one rotation and bundles from another.
/// </summary>
/// <param name="ServerCertificate">The sidecar's leaf certificate, with its private key.</param>
/// <param name="ServerChain">Intermediates to send after the leaf (may be empty).</param>
/// <param name="Bundles">Trust bundle per trust domain name (e.g. "example.org" → its CA certificates).</param>
internal sealed record IdentityMaterial(
    X509Certificate2 ServerCertificate,
    X509Certificate2Collection ServerChain,
    IReadOnlyDictionary<string, X509Certificate2Collection> Bundles);
