using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Model;

/// <summary>The verified identity of the agent on the other end of a TLS connection.</summary>
/// <param name="SpiffeId">The SPIFFE ID from the leaf's single URI SAN.</param>
/// <param name="CertificateFingerprint"><c>sha256:</c> + lowercase hex of the leaf's DER bytes.</param>
/// <param name="NotAfter">Leaf expiry, re-checked per request because connections outlive certificates.</param>
/// <param name="Certificate">The leaf certificate (public part only; owned by the TLS connection).</param>
internal sealed record PeerIdentity(
    SpiffeId SpiffeId,
    string CertificateFingerprint,
    DateTimeOffset NotAfter,
    X509Certificate2 Certificate);
