using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity;

/// <summary>
/// Validates an agent's X.509-SVID as the SPIFFE X509-SVID specification and go-spiffe's
/// <c>x509svid.Verify</c> do: leaf checks first, then the chain against the bundle of the leaf's own trust
/// domain only (federated bundles are never merged into one store).
/// </summary>
internal sealed class X509SvidValidator(TimeProvider time)
{
    public SvidValidationResult Validate(
        X509Certificate2? leaf,
        X509Certificate2Collection? intermediates,
        IReadOnlyDictionary<string, X509Certificate2Collection> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        if (leaf is null)
        {
            return SvidValidationResult.Fail(DenialCode.SvidMissing, "no client certificate presented");
        }

        var idResult = ReadSpiffeId(leaf, out var id);
        if (idResult is not null)
        {
            return idResult;
        }

        var leafResult = CheckLeafConstraints(leaf);
        if (leafResult is not null)
        {
            return leafResult;
        }

        var now = time.GetUtcNow();
        if (now < leaf.NotBefore.ToUniversalTime())
        {
            return SvidValidationResult.Fail(DenialCode.SvidNotYetValid, "x509svid: leaf certificate is not yet valid");
        }

        if (now > leaf.NotAfter.ToUniversalTime())
        {
            return SvidValidationResult.Fail(DenialCode.SvidExpired, "x509svid: leaf certificate has expired");
        }

        if (!bundles.TryGetValue(id.TrustDomain.Name, out var roots) || roots.Count == 0)
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidUntrusted, $"x509svid: no trust bundle for trust domain \"{id.TrustDomain}\"");
        }

        var chainResult = VerifyChain(leaf, intermediates, roots, now);
        if (chainResult is not null)
        {
            return chainResult;
        }

        var fingerprint = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(leaf.RawData));
        return SvidValidationResult.Success(
            new PeerIdentity(id, fingerprint, leaf.NotAfter.ToUniversalTime(), leaf));
    }

    private static SvidValidationResult? ReadSpiffeId(X509Certificate2 leaf, out SpiffeId id)
    {
        id = default;
        IReadOnlyList<string> uris;
        try
        {
            uris = UriSanReader.Read(leaf);
        }
        catch (CryptographicException)
        {
            return SvidValidationResult.Fail(DenialCode.SvidInvalid, "x509svid: malformed subjectAltName extension");
        }

        switch (uris.Count)
        {
            case 0:
                return SvidValidationResult.Fail(
                    DenialCode.SvidInvalidSpiffeId, "x509svid: certificate contains no URI SAN");
            case > 1:
                return SvidValidationResult.Fail(
                    DenialCode.SvidInvalidSpiffeId, "x509svid: certificate contains more than one URI SAN");
        }

        if (!SpiffeId.TryParse(uris[0], out id, out var error))
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalidSpiffeId, "x509svid: unable to parse SPIFFE ID: " + error.Message());
        }

        if (id.Path.Length == 0)
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalidSpiffeId, "x509svid: SPIFFE ID of a workload must have a path");
        }

        return null;
    }

    private static SvidValidationResult? CheckLeafConstraints(X509Certificate2 leaf)
    {
        var basic = leaf.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is { CertificateAuthority: true })
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalid, "x509svid: leaf certificate must not have CA flag set to true");
        }

        // No keyUsage extension means an empty set, as in Go: digitalSignature is then missing.
        var usages = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages
            ?? X509KeyUsageFlags.None;
        if ((usages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalid, "x509svid: leaf certificate must have 'digitalSignature' set as key usage");
        }

        if ((usages & X509KeyUsageFlags.KeyCertSign) != 0)
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalid, "x509svid: leaf certificate must not have 'keyCertSign' set as key usage");
        }

        if ((usages & X509KeyUsageFlags.CrlSign) != 0)
        {
            return SvidValidationResult.Fail(
                DenialCode.SvidInvalid, "x509svid: leaf certificate must not have 'cRLSign' set as key usage");
        }

        return null;
    }

    private static SvidValidationResult? VerifyChain(
        X509Certificate2 leaf,
        X509Certificate2Collection? intermediates,
        X509Certificate2Collection roots,
        DateTimeOffset now)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(roots);
        if (intermediates is not null)
        {
            foreach (var certificate in intermediates)
            {
                // The handshake's collection also holds the leaf; only the others can be intermediates.
                if (!certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    policy.ExtraStore.Add(certificate);
                }
            }
        }

        // Revocation is SPIFFE's short lifetimes plus our own revocation list, not CRL/OCSP. Downloads are off
        // because an attacker-controlled AIA URL must never make the proxy fetch anything.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;

        try
        {
            if (chain.Build(leaf))
            {
                return null;
            }

            var flags = X509ChainStatusFlags.NoError;
            foreach (var status in chain.ChainStatus)
            {
                flags |= status.Status;
            }

            return SvidValidationResult.Fail(
                DenialCode.SvidUntrusted, "x509svid: could not verify leaf certificate: " + Describe(flags));
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, leaf))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }

    private static string Describe(X509ChainStatusFlags flags)
    {
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return "a certificate in the chain is outside its validity period";
        }

        if ((flags & (X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot)) != 0)
        {
            return "x509: certificate signed by unknown authority";
        }

        return "x509: chain verification failed (" + flags + ")";
    }
}
