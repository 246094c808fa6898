namespace SidecarProxy.Identity;

/// <summary>Where the file-based identity lives (the layout spiffe-helper writes, or dev-certs output).</summary>
/// <param name="ServerCertificate">PEM: the sidecar's leaf first, then any intermediates.</param>
/// <param name="ServerKey">PEM: the private key of the leaf (PKCS#8, SEC1 or PKCS#1).</param>
/// <param name="TrustBundles">Trust domain name to the PEM bundle file of its CA certificates.</param>
internal sealed record IdentityFiles(
    string ServerCertificate,
    string ServerKey,
    IReadOnlyDictionary<string, string> TrustBundles)
{
    public IEnumerable<string> AllPaths => TrustBundles.Values.Prepend(ServerKey).Prepend(ServerCertificate);
}
