using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.TestSupport;

/// <summary>
/// A small in-memory certificate authority for tests (after go-spiffe's internal/test/ca.go): roots,
/// intermediates and leaves minted with <see cref="CertificateRequest"/>, never binary files in the repository.
/// </summary>
public sealed class TestCa : IDisposable
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UtcNow;

    private TestCa(X509Certificate2 certificate, TestCa? parent)
    {
        Certificate = certificate;
        Parent = parent;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public TestCa? Parent { get; }

    /// <summary>The intermediates between a leaf of this CA and the root, nearest first (empty for a root).</summary>
    public X509Certificate2Collection Chain
    {
        get
        {
            var chain = new X509Certificate2Collection();
            for (var ca = this; ca.Parent is not null; ca = ca.Parent)
            {
                chain.Add(ca.Certificate);
            }

            return chain;
        }
    }

    public string BundlePem => Certificate.ExportCertificatePem() + "\n";

    public static TestCa CreateRoot(string trustDomain, string? name = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest($"CN={name ?? trustDomain + " root"}", key, trustDomain);
        return new TestCa(request.CreateSelfSigned(Epoch.AddDays(-10), Epoch.AddDays(30)), null);
    }

    /// <summary>An intermediate CA; <paramref name="subject"/> lets a test forge a same-named impostor.</summary>
    public TestCa CreateIntermediate(string trustDomain, string? subject = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(subject ?? $"CN={trustDomain} intermediate", key, trustDomain);
        request.CertificateExtensions.Add(
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        using var publicOnly = request.Create(Certificate, Epoch.AddDays(-9), Epoch.AddDays(29), Serial());
        return new TestCa(publicOnly.CopyWithPrivateKey(key), this);
    }

    /// <summary>Issues a leaf; by default a valid X.509-SVID for <paramref name="uris"/>.</summary>
    public X509Certificate2 Issue(LeafSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = LeafRequest(spec, key);
        request.CertificateExtensions.Add(
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        using var publicOnly = request.Create(Certificate, spec.NotBefore ?? Epoch.AddHours(-1), spec.NotAfter ?? Epoch.AddDays(7), Serial());
        return publicOnly.CopyWithPrivateKey(key);
    }

    public X509Certificate2 IssueSvid(string spiffeId) => Issue(new LeafSpec { Uris = [spiffeId] });

    /// <summary>A self-signed leaf (not a CA) that looks like an SVID.</summary>
    public static X509Certificate2 SelfSigned(LeafSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return LeafRequest(spec, key).CreateSelfSigned(Epoch.AddHours(-1), Epoch.AddDays(7));
    }

    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    public static string KeyToPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("no ECDSA key");
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    public void Dispose() => Certificate.Dispose();

    private static CertificateRequest CaRequest(string subject, ECDsa key, string trustDomain)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(
            new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://" + trustDomain));
        request.CertificateExtensions.Add(san.Build());
        return request;
    }

    private static CertificateRequest LeafRequest(LeafSpec spec, ECDsa key)
    {
        var request = new CertificateRequest(spec.Subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(spec.IsCa, false, 0, true));
        if (spec.KeyUsage is { } usage)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (spec.Uris.Count > 0 || spec.DnsNames.Count > 0)
        {
            request.CertificateExtensions.Add(SanExtension(spec.Uris, spec.DnsNames));
        }

        return request;
    }

    /// <summary>
    /// Uses <see cref="SubjectAlternativeNameBuilder.AddUri"/> when <see cref="Uri"/> keeps the text as is;
    /// otherwise (uppercase host, dot segments) encodes the exact text, because Uri would normalise it away.
    /// </summary>
    private static X509Extension SanExtension(IReadOnlyList<string> uris, IReadOnlyList<string> dnsNames)
    {
        var builderFits = uris.All(u => Uri.TryCreate(u, UriKind.Absolute, out var parsed) && parsed.AbsoluteUri == u);
        if (builderFits)
        {
            var builder = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                builder.AddDnsName(dns);
            }

            foreach (var uri in uris)
            {
                builder.AddUri(new Uri(uri));
            }

            return builder.Build(critical: false);
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var dns in dnsNames)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, new Asn1Tag(TagClass.ContextSpecific, 2));
            }

            foreach (var uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }
}

/// <summary>What a test leaf looks like; the defaults make a valid X.509-SVID.</summary>
public sealed record LeafSpec
{
    public IReadOnlyList<string> Uris { get; init; } = [];

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    public string Subject { get; init; } = "O=test";

    public bool IsCa { get; init; }

    /// <summary>Null leaves the keyUsage extension out entirely.</summary>
    public X509KeyUsageFlags? KeyUsage { get; init; } = X509KeyUsageFlags.DigitalSignature;

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }
}
