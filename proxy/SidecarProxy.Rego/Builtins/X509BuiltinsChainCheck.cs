using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Verification of a chain that ends at a trust anchor which is not self-signed (an intermediate given as the
/// root), which Go accepts and .NET's chain engine reports as a partial chain. Each link is checked here:
/// signature by the next certificate's key, validity at the verification time, CA flag and path length.
/// </summary>
internal static class X509ChainCheck
{
    private const X509ChainStatusFlags AnchorProblems = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot;

    /// <summary>True when the only chain-level problems are a missing self-signed root.</summary>
    public static bool OnlyAnchorProblems(X509Chain chain)
    {
        foreach (var status in chain.ChainStatus)
        {
            if ((status.Status & ~AnchorProblems) != 0)
            {
                return false;
            }
        }

        return true;
    }

    public static bool Verify(List<GoCertificate> certs, int anchor, X509Chain chain, DateTimeOffset time)
    {
        for (var i = 0; i <= anchor; i++)
        {
            var cert = certs[i];
            if (time < cert.NotBefore || time > cert.NotAfter)
            {
                return false;
            }

            if (i > 0 && i < anchor && (!cert.BasicConstraintsValid || !cert.IsCA))
            {
                return false;
            }

            if (i > 0 && cert.BasicConstraintsValid && cert.MaxPathLen >= 0 && i - 1 > cert.MaxPathLen)
            {
                return false;
            }

            if (i < anchor && !SignedBy(cert, certs[i + 1], chain.ChainElements[i + 1].Certificate))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool SignedBy(GoCertificate cert, GoCertificate issuer, X509Certificate2 issuerCertificate)
    {
        var tbs = cert.RawTbs;
        var signature = cert.Signature;
        try
        {
            switch (cert.SignatureAlgorithm)
            {
                case 4 or 5 or 6 or 13 or 14 or 15:
                    {
                        using var rsa = issuerCertificate.GetRSAPublicKey();
                        if (rsa is null)
                        {
                            return false;
                        }

                        var hash = cert.SignatureAlgorithm switch
                        {
                            4 or 13 => HashAlgorithmName.SHA256,
                            5 or 14 => HashAlgorithmName.SHA384,
                            _ => HashAlgorithmName.SHA512,
                        };
                        return cert.SignatureAlgorithm >= 13
                            ? RsaPss.Verify(rsa.ExportParameters(false), hash, tbs, signature)
                            : rsa.VerifyData(tbs, signature, hash, RSASignaturePadding.Pkcs1);
                    }

                case 10 or 11 or 12:
                    {
                        using var ec = issuerCertificate.GetECDsaPublicKey();
                        var hash = cert.SignatureAlgorithm switch
                        {
                            10 => HashAlgorithmName.SHA256,
                            11 => HashAlgorithmName.SHA384,
                            _ => HashAlgorithmName.SHA512,
                        };
                        return ec is not null && ec.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
                    }

                case 16:
                    return issuer.PublicKey is Values.RegoString key && Ed25519.Verify(Convert.FromBase64String(key.Value), tbs, signature);
                default:
                    // SHA-1, MD5 and DSA signatures are refused, as Go refuses them.
                    return false;
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
