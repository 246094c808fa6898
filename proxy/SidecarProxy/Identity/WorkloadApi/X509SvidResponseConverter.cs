using System.Collections.Frozen;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Identity.WorkloadApi.Protocol;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// Turns one <c>X509SVIDResponse</c> into a snapshot, or says why it cannot. The whole message is refused if any
/// part is bad: applying half of it would mix trust decisions from two states of the agent.
/// </summary>
internal static class X509SvidResponseConverter
{
    public static SvidUpdateError TryConvert(X509SVIDResponse response, DateTimeOffset now, out WorkloadApiSnapshot? snapshot)
    {
        ArgumentNullException.ThrowIfNull(response);
        snapshot = null;

        // The first SVID is the default identity (Workload API spec 5.3); the others are for workloads that pick by hint.
        if (response.Svids.Count == 0)
        {
            return SvidUpdateError.NoSvids;
        }

        var svid = response.Svids[0];
        // A workload SPIFFE ID: valid, with a path (the same parser as agent SVIDs).
        if (!SpiffeId.TryParse(svid.SpiffeId, out var ownId, out _) || ownId.Path.Length == 0)
        {
            return SvidUpdateError.InvalidSpiffeId;
        }

        var ownTrustDomain = ownId.TrustDomain.Name;

        var chain = new List<X509Certificate2>();
        var keep = false;
        try
        {
            if (!TryLoadConcatenated(svid.X509Svid.Span, chain) || chain.Count == 0)
            {
                return SvidUpdateError.MalformedCertificate;
            }

            var leaf = chain[0];
            var error = CheckLeaf(leaf, svid.SpiffeId, now);
            if (error != SvidUpdateError.None)
            {
                return error;
            }

            error = TryAttachKey(leaf, svid.X509SvidKey.Span, out var leafWithKey);
            if (error != SvidUpdateError.None)
            {
                return error;
            }

            error = TryReadBundles(response, ownTrustDomain, svid.Bundle.Span, out var bundles);
            if (error != SvidUpdateError.None)
            {
                leafWithKey!.Dispose();
                return error;
            }

            var intermediates = new X509Certificate2Collection();
            for (var i = 1; i < chain.Count; i++)
            {
                intermediates.Add(chain[i]);
            }

            snapshot = new WorkloadApiSnapshot(
                new IdentityMaterial(leafWithKey!, intermediates, bundles!),
                svid.SpiffeId,
                Fingerprint(leafWithKey!),
                new DateTimeOffset(leafWithKey!.NotBefore.ToUniversalTime()),
                new DateTimeOffset(leafWithKey!.NotAfter.ToUniversalTime()),
                Revision(leafWithKey!, intermediates, bundles!));
            keep = true;
            return SvidUpdateError.None;
        }
        finally
        {
            // The leaf without key is replaced by its copy with key; intermediates live on in the snapshot.
            if (chain.Count > 0)
            {
                chain[0].Dispose();
            }

            if (!keep)
            {
                foreach (var certificate in chain.Skip(1))
                {
                    certificate.Dispose();
                }
            }
        }
    }

    /// <summary>"sha256:" + lowercase hex of the certificate's DER: what logs and audit records show.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    private static string Revision(
        X509Certificate2 leaf,
        X509Certificate2Collection intermediates,
        IReadOnlyDictionary<string, X509Certificate2Collection> bundles)
    {
        var text = new System.Text.StringBuilder(Fingerprint(leaf));
        foreach (var intermediate in intermediates)
        {
            text.Append(" i:").Append(Fingerprint(intermediate));
        }

        foreach (var (trustDomain, bundle) in bundles.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            text.Append(' ').Append(trustDomain).Append('=');
            foreach (var certificate in bundle)
            {
                text.Append(Fingerprint(certificate)).Append(',');
            }
        }

        return text.ToString();
    }

    private static SvidUpdateError CheckLeaf(X509Certificate2 leaf, string spiffeId, DateTimeOffset now)
    {
        IReadOnlyList<string> uris;
        try
        {
            uris = UriSanReader.Read(leaf);
        }
        catch (CryptographicException)
        {
            return SvidUpdateError.SpiffeIdMismatch;
        }

        if (uris.Count != 1 || !string.Equals(uris[0], spiffeId, StringComparison.Ordinal))
        {
            return SvidUpdateError.SpiffeIdMismatch;
        }

        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                return SvidUpdateError.LeafIsCa;
            }
        }

        // An SVID that is already dead must not displace one that still works.
        return now > new DateTimeOffset(leaf.NotAfter.ToUniversalTime()) ? SvidUpdateError.Expired : SvidUpdateError.None;
    }

    private static SvidUpdateError TryAttachKey(X509Certificate2 leaf, ReadOnlySpan<byte> pkcs8, out X509Certificate2? leafWithKey)
    {
        leafWithKey = null;
        try
        {
            using var ecPublic = leaf.GetECDsaPublicKey();
            if (ecPublic is not null)
            {
                using var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(pkcs8, out var read);
                if (read != pkcs8.Length)
                {
                    return SvidUpdateError.MalformedKey;
                }

                leafWithKey = leaf.CopyWithPrivateKey(ec);
                return SvidUpdateError.None;
            }

            using var rsaPublic = leaf.GetRSAPublicKey();
            if (rsaPublic is not null)
            {
                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out var read);
                if (read != pkcs8.Length)
                {
                    return SvidUpdateError.MalformedKey;
                }

                leafWithKey = leaf.CopyWithPrivateKey(rsa);
                return SvidUpdateError.None;
            }

            return SvidUpdateError.UnsupportedKey;
        }
        catch (CryptographicException)
        {
            return SvidUpdateError.MalformedKey;
        }
        catch (ArgumentException)
        {
            // CopyWithPrivateKey: the key is well formed but belongs to another certificate.
            return SvidUpdateError.KeyMismatch;
        }
    }

    private static SvidUpdateError TryReadBundles(
        X509SVIDResponse response,
        string ownTrustDomain,
        ReadOnlySpan<byte> ownBundle,
        out IReadOnlyDictionary<string, X509Certificate2Collection>? bundles)
    {
        bundles = null;
        var byTrustDomain = new Dictionary<string, X509Certificate2Collection>(StringComparer.Ordinal);

        var error = TryReadBundle(ownBundle, out var own);
        if (error != SvidUpdateError.None)
        {
            return error;
        }

        byTrustDomain[ownTrustDomain] = own!;

        foreach (var (key, value) in response.FederatedBundles)
        {
            // SPIRE keys federated bundles by the trust domain's SPIFFE ID (spiffe://td); go-spiffe also accepts a bare name.
            var name = key.StartsWith("spiffe://", StringComparison.Ordinal) ? key["spiffe://".Length..] : key;
            if (!TrustDomain.TryParse(name, out var federatedDomain, out _))
            {
                DisposeAll(byTrustDomain.Values);
                return SvidUpdateError.InvalidFederatedTrustDomain;
            }

            var trustDomain = federatedDomain.Name;

            // The agent's own trust domain is authoritative in the SVID's bundle; a federated copy of it must not
            // override it.
            if (trustDomain == ownTrustDomain)
            {
                continue;
            }

            error = TryReadBundle(value.Span, out var federated);
            if (error != SvidUpdateError.None)
            {
                DisposeAll(byTrustDomain.Values);
                return error;
            }

            byTrustDomain[trustDomain] = federated!;
        }

        bundles = byTrustDomain.ToFrozenDictionary(StringComparer.Ordinal);
        return SvidUpdateError.None;
    }

    private static SvidUpdateError TryReadBundle(ReadOnlySpan<byte> der, out X509Certificate2Collection? bundle)
    {
        bundle = null;
        var certificates = new List<X509Certificate2>();
        if (!TryLoadConcatenated(der, certificates))
        {
            DisposeAll(certificates);
            return SvidUpdateError.MalformedBundle;
        }

        if (certificates.Count == 0)
        {
            return SvidUpdateError.EmptyBundle;
        }

        bundle = [.. certificates];
        return SvidUpdateError.None;
    }

    /// <summary>The Workload API concatenates DER certificates with no framing; each one's own length delimits it.</summary>
    private static bool TryLoadConcatenated(ReadOnlySpan<byte> der, List<X509Certificate2> into)
    {
        while (!der.IsEmpty)
        {
            try
            {
                AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out _, out _, out var consumed);
                into.Add(X509CertificateLoader.LoadCertificate(der[..consumed]));
                der = der[consumed..];
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException)
            {
                return false;
            }
        }

        return true;
    }

    private static void DisposeAll(IEnumerable<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    private static void DisposeAll(IEnumerable<X509Certificate2Collection> collections)
    {
        foreach (var collection in collections)
        {
            DisposeAll(collection);
        }
    }
}
