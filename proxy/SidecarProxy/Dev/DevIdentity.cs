using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Dev;

/// <summary>The dev identity files in one directory, created on demand.</summary>
internal sealed record DevIdentity(string Directory)
{
    public string CaCertificate => Path.Combine(Directory, "ca.pem");

    public string CaKey => Path.Combine(Directory, "ca-key.pem");

    public string SidecarCertificate => Path.Combine(Directory, "sidecar.pem");

    public string SidecarKey => Path.Combine(Directory, "sidecar-key.pem");

    public string AgentCertificate => Path.Combine(Directory, "agent.pem");

    public string AgentKey => Path.Combine(Directory, "agent-key.pem");

    /// <summary>Writes a fresh CA, sidecar certificate and agent SVID, replacing any existing files.</summary>
    public static DevIdentity Create(string directory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var identity = new DevIdentity(Path.GetFullPath(directory));
        System.IO.Directory.CreateDirectory(identity.Directory);
        var now = time.GetUtcNow();
        using var root = DevCertificateAuthority.CreateRoot(now);
        using var sidecar = DevCertificateAuthority.CreateSidecar(root, now);
        using var agent = DevCertificateAuthority.CreateAgent(root, DevCertificateAuthority.AgentId, now);
        WriteCertificate(identity.CaCertificate, root);
        WriteKey(identity.CaKey, root);
        WriteCertificate(identity.SidecarCertificate, sidecar);
        WriteKey(identity.SidecarKey, sidecar);
        WriteCertificate(identity.AgentCertificate, agent);
        WriteKey(identity.AgentKey, agent);
        return identity;
    }

    /// <summary>Reuses the directory's identity while it is valid for at least a day more, else recreates it.</summary>
    public static DevIdentity EnsureCreated(string directory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var existing = new DevIdentity(Path.GetFullPath(directory));
        return existing.IsUsable(time.GetUtcNow().AddDays(1)) ? existing : Create(directory, time);
    }

    public string CurlExample(string listen) =>
        $"curl --cacert {CaCertificate} --cert {AgentCertificate} --key {AgentKey} {listen.TrimEnd('/')}/tools/demo/hello";

    private bool IsUsable(DateTimeOffset validUntil)
    {
        string[] files = [CaCertificate, CaKey, SidecarCertificate, SidecarKey, AgentCertificate, AgentKey];
        if (!files.All(File.Exists))
        {
            return false;
        }

        try
        {
            using var sidecar = X509Certificate2.CreateFromPemFile(SidecarCertificate, SidecarKey);
            using var agent = X509Certificate2.CreateFromPemFile(AgentCertificate, AgentKey);
            return sidecar.NotAfter > validUntil && agent.NotAfter > validUntil;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static void WriteCertificate(string path, X509Certificate2 certificate) =>
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");

    private static void WriteKey(string path, X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException("dev certificates are ECDSA");
        var pem = key.ExportPkcs8PrivateKeyPem() + "\n";

        // Create with owner-only permissions before any key byte is written.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
