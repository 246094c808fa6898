using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Dev;

/// <summary>
/// Mints the development trust domain: a root CA, the sidecar's serving certificate and an agent X.509-SVID,
/// all ECDSA P-256. Development only; production identities come from SPIRE or another SPIFFE issuer.
/// </summary>
internal static class DevCertificateAuthority
{
    public const string TrustDomain = "sidecar.dev";
    public const string AgentId = "spiffe://sidecar.dev/agent/demo";
    public const string SidecarId = "spiffe://sidecar.dev/sidecar";

    public static X509Certificate2 CreateRoot(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=SidecarProxy dev CA, O=sidecar.dev", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(
            new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://" + TrustDomain));
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    public static X509Certificate2 CreateSidecar(X509Certificate2 root, DateTimeOffset now)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddUri(new Uri(SidecarId));
        return CreateLeaf(root, "CN=localhost, O=sidecar.dev", san, "1.3.6.1.5.5.7.3.1", now);
    }

    public static X509Certificate2 CreateAgent(X509Certificate2 root, string spiffeId, DateTimeOffset now)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));
        return CreateLeaf(root, "O=sidecar.dev", san, "1.3.6.1.5.5.7.3.2", now);
    }

    private static X509Certificate2 CreateLeaf(
        X509Certificate2 issuer, string subject, SubjectAlternativeNameBuilder san, string eku, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        request.CertificateExtensions.Add(san.Build(critical: true));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var notAfter = now.AddDays(90);
        if (notAfter > issuer.NotAfter)
        {
            notAfter = issuer.NotAfter;
        }

        using var publicOnly = request.Create(issuer, now.AddMinutes(-5), notAfter, serial);
        return publicOnly.CopyWithPrivateKey(key);
    }
}
