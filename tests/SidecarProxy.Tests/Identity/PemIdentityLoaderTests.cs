using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Identity;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Identity;

public sealed class PemIdentityLoaderTests : IDisposable
{
    private static readonly IdentityFiles Files = new("cert.pem", "key.pem", new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["example.org"] = "bundle.pem",
    });

    private readonly TestCa _ca = TestCa.CreateRoot("example.org");

    public void Dispose() => _ca.Dispose();

    private static Dictionary<string, string> Texts(string cert, string key, string bundle) => new(StringComparer.Ordinal)
    {
        ["cert.pem"] = cert,
        ["key.pem"] = key,
        ["bundle.pem"] = bundle,
    };

    [Fact]
    public void ValidFiles_Load()
    {
        using var leaf = _ca.IssueSvid("spiffe://example.org/sidecar");

        var material = PemIdentityLoader.Parse(Files, Texts(TestCa.ToPem(leaf), TestCa.KeyToPem(leaf), _ca.BundlePem));

        using var server = material.ServerCertificate;
        Assert.True(server.HasPrivateKey);
        Assert.Single(material.Bundles["example.org"]);
    }

    // Found by fuzzing (tests/fuzz, target pem): a PKCS#8 EC key whose curve OID is corrupted (1.2.840.10045.3.1.7
    // became 1.2.3528.10045.3.1.7) made the platform throw PlatformNotSupportedException, which escaped the loader
    // instead of becoming the IdentityLoadException that keeps the last good identity.
    [Fact]
    public void KeyOnUnknownCurve_IdentityLoadExceptionNamingTheKey()
    {
        using var leaf = _ca.IssueSvid("spiffe://example.org/sidecar");
        using var key = leaf.GetECDsaPrivateKey()!;
        var der = key.ExportPkcs8PrivateKey();
        byte[] p256 = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        var at = der.AsSpan().IndexOf(p256);
        Assert.True(at > 0);
        der[at + 1] = 0x9B;
        var corrupted = PemEncoding.WriteString("PRIVATE KEY", der) + "\n";

        var texts = Texts(TestCa.ToPem(leaf), corrupted, _ca.BundlePem);

        var ex = Assert.Throws<IdentityLoadException>(() => { _ = PemIdentityLoader.Parse(Files, texts); });

        Assert.Contains("'key.pem'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(corrupted.Split('\n')[1], ex.Message, StringComparison.Ordinal);
    }
}
