using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SidecarProxy.Credentials;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Tests.Credentials;

public sealed class SidecarIdentityTests
{
    [Fact]
    public void FirstSpiffeUri_ReadFromSubjectAlternativeName()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sidecar", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("sidecar.local");
        san.AddUri(new Uri("https://example.org/not-spiffe"));
        san.AddUri(new Uri("spiffe://agents.example.org/sidecar"));
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal("spiffe://agents.example.org/sidecar", ServerCertificateSidecarIdentity.FirstSpiffeUri(certificate));
    }

    [Fact]
    public void NoSource_NoId() => Assert.Null(new ServerCertificateSidecarIdentity().SpiffeId);
}
