using System.Formats.Asn1;
using System.Security.Cryptography;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A private key parsed from PEM, in one of the forms Go's x509 package returns.</summary>
internal abstract record ParsedPrivateKey
{
    /// <summary>The key as Go's <c>json.Marshal</c> writes the Go key struct.</summary>
    public abstract RegoValue ToGoJson();

    /// <summary>The key as a JWK (OPA's crypto.x509.parse_rsa_private_key).</summary>
    public abstract RegoObject ToJwk();
}

internal sealed record RsaPrivateKey(RSAParameters Parameters) : ParsedPrivateKey
{
    public override RegoValue ToGoJson()
    {
        var p = Parameters;
        return new GoShape()
            .Add("N", GoShape.Unsigned(p.Modulus))
            .Add("E", GoShape.Unsigned(p.Exponent))
            .Add("D", GoShape.Unsigned(p.D))
            .Add("Primes", new RegoArray([GoShape.Unsigned(p.P), GoShape.Unsigned(p.Q)]))
            .Add("Precomputed", new GoShape()
                .Add("Dp", GoShape.Unsigned(p.DP))
                .Add("Dq", GoShape.Unsigned(p.DQ))
                .Add("Qinv", GoShape.Unsigned(p.InverseQ))
                .Add("CRTValues", RegoArray.Empty)
                .Build())
            .Build();
    }

    public override RegoObject ToJwk()
    {
        var p = Parameters;
        return new GoShape()
            .Add("kty", "RSA")
            .Add("n", Jwk.Big(p.Modulus))
            .Add("e", Jwk.Big(p.Exponent))
            .Add("d", Jwk.Big(p.D))
            .Add("p", Jwk.Big(p.P))
            .Add("q", Jwk.Big(p.Q))
            .Add("dp", Jwk.Big(p.DP))
            .Add("dq", Jwk.Big(p.DQ))
            .Add("qi", Jwk.Big(p.InverseQ))
            .Build();
    }
}

internal sealed record EcPrivateKey(ECParameters Parameters, string CurveName) : ParsedPrivateKey
{
    public override RegoValue ToGoJson() => new GoShape()
        // Go's elliptic.Curve values have no exported fields, so the curve marshals as an empty object.
        .Add("Curve", RegoObject.Empty)
        .Add("X", GoShape.Unsigned(Parameters.Q.X))
        .Add("Y", GoShape.Unsigned(Parameters.Q.Y))
        .Add("D", GoShape.Unsigned(Parameters.D))
        .Build();

    public override RegoObject ToJwk() => new GoShape()
        .Add("kty", "EC")
        .Add("crv", CurveName)
        .Add("x", GoBase64.EncodeRawUrl(Parameters.Q.X))
        .Add("y", GoBase64.EncodeRawUrl(Parameters.Q.Y))
        .Add("d", GoBase64.EncodeRawUrl(Parameters.D))
        .Build();
}

/// <summary>Go's ed25519.PrivateKey: the 32-byte seed followed by the 32-byte public key.</summary>
internal sealed record Ed25519PrivateKey(byte[] Seed, byte[] PublicKey) : ParsedPrivateKey
{
    public override RegoValue ToGoJson() => new RegoString(Convert.ToBase64String([.. Seed, .. PublicKey]));

    public override RegoObject ToJwk() => throw new BuiltinErrorException("failed to create JWK: unsupported key type ed25519.PrivateKey");
}

/// <summary>Private key parsing as OPA's getPrivateKeysFromPEMData does it.</summary>
internal static class PrivateKeys
{
    public const string OidRsa = "1.2.840.113549.1.1.1";
    public const string OidEc = "1.2.840.10045.2.1";
    public const string OidEd25519 = "1.3.101.112";

    /// <summary>Every RSA, PKCS #8 and EC private key block in the text (base64 of PEM is accepted too).</summary>
    public static List<ParsedPrivateKey> FromPemData(string pemData)
    {
        var decoded = GoBase64.TryDecodeStd(pemData, out _);
        var text = decoded is null ? pemData : GoPem.BytesToText(decoded);

        var keys = new List<ParsedPrivateKey>();
        while (text.Length > 0)
        {
            var inputLength = text.Length;
            var block = GoPem.Decode(text, out text);
            if (block is null || inputLength == text.Length)
            {
                break;
            }

            switch (block.Type)
            {
                case "RSA PRIVATE KEY":
                    keys.Add(ParsePkcs1(block.Bytes));
                    break;
                case "PRIVATE KEY":
                    keys.Add(ParsePkcs8(block.Bytes));
                    break;
                case "EC PRIVATE KEY":
                    keys.Add(ParseEc(block.Bytes));
                    break;
                default:
                    break;
            }
        }

        return keys;
    }

    public static RsaPrivateKey ParsePkcs1(byte[] der)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportRSAPrivateKey(der, out var read);
            if (read != der.Length)
            {
                throw new BuiltinErrorException("x509: trailing data after ASN.1 of private key");
            }

            return new RsaPrivateKey(rsa.ExportParameters(includePrivateParameters: true));
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            throw new BuiltinErrorException("x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)");
        }
    }

    public static ParsedPrivateKey ParsePkcs8(byte[] der)
    {
        string algorithm;
        byte[] privateKey;
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.BER);
            var info = reader.ReadSequence();
            info.ReadInteger();
            var algId = info.ReadSequence();
            algorithm = algId.ReadObjectIdentifier();
            privateKey = info.ReadOctetString();
        }
        catch (AsnContentException)
        {
            throw new BuiltinErrorException("x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)");
        }

        try
        {
            switch (algorithm)
            {
                case OidRsa:
                    {
                        using var rsa = RSA.Create();
                        rsa.ImportPkcs8PrivateKey(der, out _);
                        return new RsaPrivateKey(rsa.ExportParameters(includePrivateParameters: true));
                    }

                case OidEc:
                    {
                        using var ec = ECDsa.Create();
                        ec.ImportPkcs8PrivateKey(der, out _);
                        var parameters = ec.ExportParameters(includePrivateParameters: true);
                        return new EcPrivateKey(parameters, CurveName(parameters.Curve));
                    }

                case OidEd25519:
                    {
                        var seed = new AsnReader(privateKey, AsnEncodingRules.BER).ReadOctetString();
                        if (seed.Length != Ed25519.SeedSize)
                        {
                            throw new BuiltinErrorException($"x509: invalid Ed25519 private key length: {seed.Length}");
                        }

                        return new Ed25519PrivateKey(seed, Ed25519.PublicKeyFromSeed(seed));
                    }

                default:
                    throw new BuiltinErrorException($"x509: PKCS#8 wrapping contained private key with unknown algorithm: {algorithm}");
            }
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or PlatformNotSupportedException)
        {
            throw new BuiltinErrorException("x509: failed to parse private key");
        }
    }

    public static EcPrivateKey ParseEc(byte[] der)
    {
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportECPrivateKey(der, out _);
            var parameters = ec.ExportParameters(includePrivateParameters: true);
            return new EcPrivateKey(parameters, CurveName(parameters.Curve));
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            throw new BuiltinErrorException("x509: failed to parse EC private key");
        }
    }

    public static string CurveName(ECCurve curve) => curve.Oid?.Value switch
    {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.33" => "P-224",
        _ => curve.Oid?.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" => "P-256",
            "nistP384" or "ECDSA_P384" => "P-384",
            "nistP521" or "ECDSA_P521" => "P-521",
            var other => other ?? "unknown",
        },
    };
}
