using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Spiffe;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>A small CA minted in memory for one test: no certificate files in the repository.</summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    private TestCertificateAuthority(string trustDomain, X509Certificate2 certificate, TestCertificateAuthority? parent)
    {
        TrustDomain = trustDomain;
        Certificate = certificate;
        Parent = parent;
    }

    public string TrustDomain { get; }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The issuing CA of an intermediate; null for a root.</summary>
    public TestCertificateAuthority? Parent { get; }

    public static TestCertificateAuthority CreateRoot(string trustDomain, string name = "Test Root CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(trustDomain, name, key);
        var now = DateTimeOffset.UtcNow;
        return new TestCertificateAuthority(trustDomain, request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5)), null);
    }

    public TestCertificateAuthority CreateIntermediate(string name = "Test Intermediate CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(TrustDomain, name, key);
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Certificate, now.AddHours(-12), now.AddYears(1), NewSerial());
        return new TestCertificateAuthority(TrustDomain, issued.CopyWithPrivateKey(key), this);
    }

    /// <summary>Issues an X.509-SVID: one URI SAN, not a CA, digitalSignature only.</summary>
    public TestSvid IssueSvid(
        string spiffeId,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        bool isCa = false,
        string? sanUri = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=SPIRE, CN=svid", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(sanUri ?? spiffeId));
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        var leaf = request.Create(Certificate, notBefore ?? now.AddMinutes(-5), notAfter ?? now.AddHours(1), NewSerial());
        var chain = new List<X509Certificate2> { leaf };
        for (var ca = this; ca.Parent is not null; ca = ca.Parent)
        {
            chain.Add(X509CertificateLoader.LoadCertificate(ca.Certificate.RawData));
        }

        return new TestSvid(spiffeId, chain, key);
    }

    /// <summary>DER of the root at the top of this CA's chain: what goes into a bundle.</summary>
    public byte[] BundleDer() => Root().Certificate.RawData;

    public TestCertificateAuthority Root()
    {
        var ca = this;
        while (ca.Parent is not null)
        {
            ca = ca.Parent;
        }

        return ca;
    }

    public void Dispose() => Certificate.Dispose();

    private static CertificateRequest CaRequest(string trustDomain, string name, ECDsa key)
    {
        var request = new CertificateRequest($"O={trustDomain}, CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://" + trustDomain));
        request.CertificateExtensions.Add(san.Build());
        return request;
    }

    private static byte[] NewSerial() => RandomNumberGenerator.GetBytes(16);
}

/// <summary>An issued SVID: leaf first, then intermediates, and the leaf's key.</summary>
internal sealed class TestSvid(string spiffeId, IReadOnlyList<X509Certificate2> chain, ECDsa key) : IDisposable
{
    public string SpiffeId { get; } = spiffeId;

    public IReadOnlyList<X509Certificate2> Chain { get; } = chain;

    public X509Certificate2 Leaf => Chain[0];

    public ECDsa Key { get; } = key;

    public byte[] ChainDer() => [.. Chain.SelectMany(c => c.RawData)];

    public byte[] KeyPkcs8() => Key.ExportPkcs8PrivateKey();

    public void Dispose()
    {
        foreach (var certificate in Chain)
        {
            certificate.Dispose();
        }

        Key.Dispose();
    }
}
