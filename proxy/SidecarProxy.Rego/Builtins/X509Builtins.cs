using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>crypto.x509.* certificate builtins with OPA's semantics (v1/topdown/crypto.go).</summary>
internal static class X509Builtins
{
    private static readonly RegoArray NotVerified = new([RegoBoolean.False, RegoArray.Empty]);

    private static readonly Dictionary<string, int> AllowedKeyUsages = new(StringComparer.Ordinal)
    {
        ["KeyUsageAny"] = 0,
        ["KeyUsageServerAuth"] = 1,
        ["KeyUsageClientAuth"] = 2,
        ["KeyUsageCodeSigning"] = 3,
        ["KeyUsageEmailProtection"] = 4,
        ["KeyUsageIPSECEndSystem"] = 5,
        ["KeyUsageIPSECTunnel"] = 6,
        ["KeyUsageIPSECUser"] = 7,
        ["KeyUsageTimeStamping"] = 8,
        ["KeyUsageOCSPSigning"] = 9,
        ["KeyUsageMicrosoftServerGatedCrypto"] = 10,
        ["KeyUsageNetscapeServerGatedCrypto"] = 11,
        ["KeyUsageMicrosoftCommercialCodeSigning"] = 12,
        ["KeyUsageMicrosoftKernelCodeSigning"] = 13,
    };

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);

        registry.Add("crypto.x509.parse_certificates", 1, ParseCertificates);
        registry.Add("crypto.x509.parse_and_verify_certificates", 1, ParseAndVerify);
        registry.Add("crypto.x509.parse_and_verify_certificates_with_options", 2, ParseAndVerifyWithOptions);
        registry.Add("crypto.x509.parse_certificate_request", 1, ParseCertificateRequest);
        registry.Add("crypto.x509.parse_keypair", 2, ParseKeyPair);
    }

    /// <summary>OPA's getX509CertsFromString: PEM, base64 of PEM, or base64 of DER.</summary>
    internal static List<GoCertificate> CertificatesFromString(string input)
    {
        if (GoPem.StartsWithBegin(input))
        {
            return CertificatesFromPem(input);
        }

        var decoded = GoBase64.DecodeStd(input);
        var asText = GoPem.BytesToText(decoded);
        return GoPem.StartsWithBegin(asText) ? CertificatesFromPem(asText) : GoCertificate.ParseAll(decoded);
    }

    private static List<GoCertificate> CertificatesFromPem(string pem)
    {
        var der = new List<byte>();
        while (pem.Length > 0)
        {
            var block = GoPem.Decode(pem, out var rest);
            if (block is null)
            {
                break;
            }

            if (block.Type != "CERTIFICATE")
            {
                throw new BuiltinErrorException($"PEM block type is '{block.Type}', expected CERTIFICATE");
            }

            der.AddRange(block.Bytes);
            pem = rest;
        }

        return GoCertificate.ParseAll(der.ToArray());
    }

    private static RegoValue ParseCertificates(BuiltinContext context, RegoValue[] args)
    {
        var certs = CertificatesFromString(Operands.String(args, 0));
        return new RegoArray(certs.Select(c => (RegoValue)c.ToGoJson(withUriStrings: true)).ToArray());
    }

    private static RegoValue ParseAndVerify(BuiltinContext context, RegoValue[] args)
    {
        var input = Operands.String(args, 0);
        var options = new VerifyOptions { CurrentTime = context.Now };
        return Verify(input, () => options, withUriStrings: true);
    }

    private static RegoValue ParseAndVerifyWithOptions(BuiltinContext context, RegoValue[] args)
    {
        var input = Operands.String(args, 0);
        var optionsObject = Operands.Object(args, 1);
        return Verify(input, () => ExtractOptions(optionsObject, context.Now), withUriStrings: false);
    }

    private static RegoArray Verify(string input, Func<VerifyOptions> options, bool withUriStrings)
    {
        List<GoCertificate> certs;
        try
        {
            certs = CertificatesFromString(input);
        }
        catch (BuiltinErrorException)
        {
            return NotVerified;
        }

        var verifyOptions = options();
        var chain = VerifyChain(certs, verifyOptions);
        return chain is null
            ? NotVerified
            : new RegoArray([RegoBoolean.True, new RegoArray(chain.Select(c => (RegoValue)c.ToGoJson(withUriStrings)).ToArray())]);
    }

    /// <summary>
    /// Go's leaf.Verify with the first certificate as the only root, the last as the leaf and the rest as intermediates.
    /// Returns the chain from leaf to root, or null when it does not verify.
    /// </summary>
    private static List<GoCertificate>? VerifyChain(List<GoCertificate> certs, VerifyOptions options)
    {
        if (certs.Count < 2)
        {
            return null;
        }

        var loaded = new List<X509Certificate2>();
        try
        {
            foreach (var c in certs)
            {
                loaded.Add(X509CertificateLoader.LoadCertificate(c.Raw));
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(loaded[0]);
            for (var i = 1; i < loaded.Count - 1; i++)
            {
                chain.ChainPolicy.ExtraStore.Add(loaded[i]);
            }

            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = options.CurrentTime.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            var built = chain.Build(loaded[^1]);
            var result = new List<GoCertificate>();
            foreach (var element in chain.ChainElements)
            {
                var raw = element.Certificate.RawData;
                result.Add(certs.Find(c => c.Raw.AsSpan().SequenceEqual(raw)) ?? GoCertificate.Parse(raw));
            }

            if (!built)
            {
                // .NET only anchors at self-signed roots; Go anchors at any certificate in the roots pool.
                var anchor = result.FindIndex(c => c.Raw.AsSpan().SequenceEqual(certs[0].Raw));
                if (anchor < 0 || !X509ChainCheck.OnlyAnchorProblems(chain) || !X509ChainCheck.Verify(result, anchor, chain, options.CurrentTime))
                {
                    return null;
                }

                result = result.GetRange(0, anchor + 1);
            }

            var leaf = result[0];
            if (options.DnsName.Length > 0 && !HostnameMatches(leaf, options.DnsName))
            {
                return null;
            }

            return ChainAllowsUsages(result, options.KeyUsages) ? result : null;
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            return null;
        }
        finally
        {
            foreach (var c in loaded)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>Go's checkChainForKeyUsage: some requested usage must survive every certificate that restricts usages.</summary>
    private static bool ChainAllowsUsages(List<GoCertificate> chain, List<int> requested)
    {
        var usages = requested.Count == 0 ? [1] : new List<int>(requested);
        if (usages.Contains(0))
        {
            return true;
        }

        var remaining = usages.Count;
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            var cert = chain[i];
            if ((cert.ExtKeyUsage.Count == 0 && !cert.HasUnknownExtKeyUsage) || cert.ExtKeyUsage.Contains(0))
            {
                continue;
            }

            for (var u = 0; u < usages.Count; u++)
            {
                if (usages[u] < 0)
                {
                    continue;
                }

                var wanted = usages[u];
                var allowed = cert.ExtKeyUsage.Any(have => have == wanted || (wanted == 1 && have is 10 or 11));
                if (!allowed)
                {
                    usages[u] = -1;
                    remaining--;
                    if (remaining == 0)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary>Go's Certificate.VerifyHostname: IP SANs for IP literals, otherwise DNS SANs with single-label wildcards.</summary>
    private static bool HostnameMatches(GoCertificate leaf, string host)
    {
        var candidate = host.Length >= 3 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (System.Net.IPAddress.TryParse(candidate, out var ip))
        {
            return leaf.IpAddresses.Any(a => System.Net.IPAddress.TryParse(a, out var other) && other.Equals(ip));
        }

        var wanted = host.TrimEnd('.').ToLowerInvariant();
        foreach (var name in leaf.DnsNames)
        {
            var pattern = name.TrimEnd('.').ToLowerInvariant();
            if (pattern == wanted)
            {
                return true;
            }

            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = wanted.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && wanted[dot..] == pattern[1..])
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static VerifyOptions ExtractOptions(RegoObject options, DateTimeOffset now)
    {
        var result = new VerifyOptions { CurrentTime = now };
        foreach (var (k, v) in options.Entries)
        {
            if (k is not RegoString key)
            {
                continue;
            }

            switch (key.Value)
            {
                case "DNSName":
                    result.DnsName = v is RegoString dns ? dns.Value.Trim('"') : throw new BuiltinErrorException("'DNSName' should be a string");
                    break;
                case "CurrentTime":
                    {
                        if (v is not RegoNumber n)
                        {
                            throw new BuiltinErrorException("'CurrentTime' should be a number");
                        }

                        if (!n.TryGetInt64(out var nanos))
                        {
                            throw new BuiltinErrorException("'CurrentTime' should be a valid int64 number");
                        }

                        result.CurrentTime = DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
                        break;
                    }

                case "MaxConstraintComparisons":
                    {
                        if (v is not RegoNumber n)
                        {
                            throw new BuiltinErrorException("'MaxConstraintComparisons' should be a number");
                        }

                        if (!n.TryGetInt64(out _))
                        {
                            throw new BuiltinErrorException("'MaxConstraintComparisons' should be a valid number");
                        }

                        break;
                    }

                case "KeyUsages":
                    {
                        var items = v switch
                        {
                            RegoArray a => a.AsList(),
                            RegoSet s => s.AsList(),
                            _ => throw new BuiltinErrorException("'KeyUsages' should be an Array or Set"),
                        };
                        var invalid = new List<string>();
                        foreach (var item in items)
                        {
                            if (item is not RegoString usage)
                            {
                                continue;
                            }

                            var name = usage.Value.Trim('"');
                            if (AllowedKeyUsages.TryGetValue(name, out var number))
                            {
                                result.KeyUsages.Add(number);
                            }
                            else
                            {
                                invalid.Add(name);
                            }
                        }

                        if (invalid.Count > 0)
                        {
                            throw new BuiltinErrorException($"invalid entries for 'KeyUsages' found: [{string.Join(' ', invalid)}]");
                        }

                        break;
                    }

                default:
                    throw new BuiltinErrorException("invalid key option");
            }
        }

        return result;
    }

    private static RegoValue ParseCertificateRequest(BuiltinContext context, RegoValue[] args)
    {
        var input = Operands.String(args, 0);
        var text = input;
        if (!input.StartsWith("-----BEGIN CERTIFICATE REQUEST-----", StringComparison.Ordinal))
        {
            text = GoPem.BytesToText(GoBase64.DecodeStd(input));
        }

        var block = GoPem.Decode(text, out _);
        if (block is not null && block.Type != "CERTIFICATE REQUEST")
        {
            throw new BuiltinErrorException("invalid PEM-encoded certificate signing request");
        }

        var der = block?.Bytes ?? System.Text.Encoding.Latin1.GetBytes(text);
        return GoCertificateRequest.Parse(der);
    }

    private static RegoValue ParseKeyPair(BuiltinContext context, RegoValue[] args)
    {
        var certificate = Operands.String(args, 0);

        // OPA reports the key operand as operand 1 too.
        var key = args[1] is RegoString ks ? ks.Value : throw Operands.TypeError([args[1]], 0, "string");

        var certText = GoPem.StartsWithBegin(certificate) ? certificate : GoPem.BytesToText(GoBase64.DecodeStd(certificate));
        var keyText = GoPem.StartsWithBegin(key) ? key : GoPem.BytesToText(GoBase64.DecodeStd(key));
        if (!GoPem.StartsWithBegin(certText))
        {
            certText = ToPem("CERTIFICATE", GoPem.TextToBytes(certText));
        }

        if (!GoPem.StartsWithBegin(keyText))
        {
            keyText = ToPem("PRIVATE KEY", GoPem.TextToBytes(keyText));
        }

        return KeyPair.Parse(certText, keyText);
    }

    private static string ToPem(string type, byte[] der) =>
        $"-----BEGIN {type}-----\n{Convert.ToBase64String(der, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal)}\n-----END {type}-----\n";

    private sealed class VerifyOptions
    {
        public string DnsName { get; set; } = string.Empty;

        public DateTimeOffset CurrentTime { get; set; }

        public List<int> KeyUsages { get; } = [];
    }
}

/// <summary>Go's tls.X509KeyPair, returned as tls.Certificate marshalled to JSON.</summary>
internal static class KeyPair
{
    public static RegoObject Parse(string certPem, string keyPem)
    {
        var certificates = new List<byte[]>();
        var skipped = new List<string>();
        foreach (var block in GoPem.DecodeAll(certPem))
        {
            if (block.Type == "CERTIFICATE")
            {
                certificates.Add(block.Bytes);
            }
            else
            {
                skipped.Add(block.Type);
            }
        }

        if (certificates.Count == 0)
        {
            throw new BuiltinErrorException(skipped.Count == 0
                ? "tls: failed to find any PEM data in certificate input"
                : $"tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the following types: [{string.Join(' ', skipped)}]");
        }

        byte[]? keyDer = null;
        skipped.Clear();
        foreach (var block in GoPem.DecodeAll(keyPem))
        {
            if (block.Type == "PRIVATE KEY" || block.Type.EndsWith(" PRIVATE KEY", StringComparison.Ordinal))
            {
                keyDer = block.Bytes;
                break;
            }

            skipped.Add(block.Type);
        }

        if (keyDer is null)
        {
            throw new BuiltinErrorException(skipped.Count == 0
                ? "tls: failed to find any PEM data in key input"
                : skipped.Contains("CERTIFICATE")
                    ? "tls: found a certificate rather than a key in the PEM for the private key"
                    : $"tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks of the following types: [{string.Join(' ', skipped)}]");
        }

        var leaf = GoCertificate.Parse(certificates[0]);
        var privateKey = ParseAnyPrivateKey(keyDer);
        CheckMatches(leaf, privateKey);

        return new GoShape()
            .Add("Certificate", new RegoArray(certificates.Select(c => (RegoValue)new RegoString(Convert.ToBase64String(c))).ToArray()))
            .Add("PrivateKey", privateKey.ToGoJson())
            .Add("SupportedSignatureAlgorithms", RegoNull.Instance)
            .Add("OCSPStaple", RegoNull.Instance)
            .Add("SignedCertificateTimestamps", RegoNull.Instance)
            .Add("Leaf", leaf.ToGoJson(withUriStrings: false))
            .Build();
    }

    private static ParsedPrivateKey ParseAnyPrivateKey(byte[] der)
    {
        foreach (var parse in new Func<byte[], ParsedPrivateKey>[] { PrivateKeys.ParsePkcs1, PrivateKeys.ParsePkcs8, PrivateKeys.ParseEc })
        {
            try
            {
                return parse(der);
            }
            catch (BuiltinErrorException)
            {
                // Go tries PKCS #1, then PKCS #8, then SEC 1, and reports only the overall failure.
            }
        }

        throw new BuiltinErrorException("tls: failed to parse private key");
    }

    private static void CheckMatches(GoCertificate leaf, ParsedPrivateKey key)
    {
        var matches = (leaf.PublicKeyAlgorithm, key) switch
        {
            (1, RsaPrivateKey) => Same(leaf.PublicKey, key.ToGoJson(), "N") && Same(leaf.PublicKey, key.ToGoJson(), "E"),
            (3, EcPrivateKey) => Same(leaf.PublicKey, key.ToGoJson(), "X") && Same(leaf.PublicKey, key.ToGoJson(), "Y"),
            (4, Ed25519PrivateKey ed) => leaf.PublicKey is RegoString s && s.Value == Convert.ToBase64String(ed.PublicKey),
            (1 or 3 or 4, _) => throw new BuiltinErrorException("tls: private key type does not match public key type"),
            _ => throw new BuiltinErrorException("tls: unknown public key algorithm"),
        };
        if (!matches)
        {
            throw new BuiltinErrorException("tls: private key does not match public key");
        }
    }

    private static bool Same(RegoValue a, RegoValue b, string field) =>
        a is RegoObject x && b is RegoObject y && x[field] is { } xv && xv.Equals(y[field]);
}
