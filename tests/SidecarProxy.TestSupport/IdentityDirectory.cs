using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.TestSupport;

/// <summary>
/// A temporary directory holding the sidecar's identity as PEM files (the spiffe-helper layout): a serving
/// certificate for 127.0.0.1/localhost and one bundle file per trust domain. Deleted on dispose.
/// </summary>
public sealed class IdentityDirectory : IDisposable
{
    public IdentityDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sidecar-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        ServerCa = TestCa.CreateRoot("sidecar.test", "sidecar serving CA");
        using var server = ServerCa.Issue(new LeafSpec
        {
            Uris = ["spiffe://sidecar.test/sidecar"],
            DnsNames = ["localhost"],
        });
        WriteServerCertificate(server);
    }

    public string Path { get; }

    /// <summary>The CA that signed the serving certificate; clients trust it to verify the sidecar.</summary>
    public TestCa ServerCa { get; }

    public string ServerCertificatePath => System.IO.Path.Combine(Path, "svid.pem");

    public string ServerKeyPath => System.IO.Path.Combine(Path, "svid_key.pem");

    public string BundlePath(string trustDomain) => System.IO.Path.Combine(Path, $"bundle-{trustDomain}.pem");

    public void WriteServerCertificate(X509Certificate2 certificate)
    {
        File.WriteAllText(ServerKeyPath, TestCa.KeyToPem(certificate));
        File.WriteAllText(ServerCertificatePath, TestCa.ToPem(certificate));
    }

    /// <summary>Replaces a bundle file atomically (write then rename), as spiffe-helper does.</summary>
    public void WriteBundle(string trustDomain, params TestCa[] authorities) =>
        WriteBundleText(trustDomain, string.Concat(authorities.Select(a => a.BundlePem)));

    public void WriteBundleText(string trustDomain, string pem)
    {
        var temporary = BundlePath(trustDomain) + ".tmp";
        File.WriteAllText(temporary, pem);
        File.Move(temporary, BundlePath(trustDomain), overwrite: true);
    }

    /// <summary>Configuration keys pointing the sidecar at this directory.</summary>
    public Dictionary<string, string?> Configuration(params string[] trustDomains)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Identity:ServerCertificate"] = ServerCertificatePath,
            ["Sidecar:Identity:ServerKey"] = ServerKeyPath,
        };
        foreach (var td in trustDomains)
        {
            settings["Sidecar:Identity:TrustBundles:" + td] = BundlePath(td);
        }

        return settings;
    }

    public void Dispose()
    {
        ServerCa.Dispose();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the directory for a moment; the OS temp cleaner gets it later.
        }
    }
}
