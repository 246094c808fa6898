using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Identity;

/// <summary>
/// Turns the identity PEM files into one <see cref="IdentityMaterial"/> snapshot, or throws
/// <see cref="IdentityLoadException"/> naming the offending file. Loads everything or nothing, so a rotation
/// that has written the certificate but not yet the key is rejected instead of half applied.
/// </summary>
internal static class PemIdentityLoader
{
    public static IdentityMaterial Load(IdentityFiles files) => Parse(files, ReadAll(files));

    /// <summary>Reads every file once; the caller hashes the result to notice changes.</summary>
    public static IReadOnlyDictionary<string, string> ReadAll(IdentityFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in files.AllPaths)
        {
            texts[path] = ReadText(path);
        }

        return texts;
    }

    /// <summary>Parses texts previously read by <see cref="ReadAll"/>, so what was hashed is what is loaded.</summary>
    public static IdentityMaterial Parse(IdentityFiles files, IReadOnlyDictionary<string, string> texts)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(texts);
        var certPem = texts[files.ServerCertificate];
        var keyPem = texts[files.ServerKey];
        var chain = ParseCertificates(certPem, files.ServerCertificate);
        X509Certificate2 server;
        try
        {
            using var publicOnly = chain[0];
            server = X509Certificate2.CreateFromPem(PemFor(publicOnly), keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or NotSupportedException)
        {
            // A key that does not match the certificate surfaces as ArgumentException; a key on a curve the platform
            // does not know (a corrupted curve OID) as PlatformNotSupportedException.
            DisposeAll(chain);
            throw new IdentityLoadException(
                $"server key '{files.ServerKey}' is unreadable or does not match server certificate '{files.ServerCertificate}': {ex.Message}",
                ex);
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var bundles = new Dictionary<string, X509Certificate2Collection>(StringComparer.Ordinal);
        foreach (var (trustDomain, path) in files.TrustBundles)
        {
            bundles[trustDomain] = ParseCertificates(texts[path], path);
        }

        return new IdentityMaterial(server, intermediates, bundles);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IdentityLoadException($"cannot read '{path}': {ex.Message}", ex);
        }
    }

    private static X509Certificate2Collection ParseCertificates(string pem, string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            DisposeAll(collection);
            throw new IdentityLoadException($"'{path}' is not a valid PEM certificate file: {ex.Message}", ex);
        }

        if (collection.Count == 0)
        {
            throw new IdentityLoadException($"'{path}' contains no PEM certificate");
        }

        // ImportFromPem skips what it does not understand; a truncated last block would silently shrink a bundle.
        var blocks = CountCertificateBlocks(pem);
        if (blocks != collection.Count)
        {
            DisposeAll(collection);
            throw new IdentityLoadException(
                $"'{path}' has {blocks} certificate block(s) but only {collection.Count} could be read");
        }

        return collection;
    }

    private static int CountCertificateBlocks(string pem)
    {
        var count = 0;
        var index = 0;
        const string Begin = "-----BEGIN CERTIFICATE-----";
        while ((index = pem.IndexOf(Begin, index, StringComparison.Ordinal)) >= 0)
        {
            count++;
            index += Begin.Length;
        }

        return count;
    }

    private static string PemFor(X509Certificate2 certificate) =>
        new(PemEncoding.Write("CERTIFICATE", certificate.RawData));

    private static void DisposeAll(X509Certificate2Collection collection)
    {
        foreach (var certificate in collection)
        {
            certificate.Dispose();
        }
    }
}
