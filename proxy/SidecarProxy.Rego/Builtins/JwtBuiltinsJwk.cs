using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace SidecarProxy.Rego.Builtins;

internal enum JwtKeyType
{
    Rsa,
    Ec,
    Ed25519,
    Symmetric,
}

/// <summary>
/// A key for verifying or signing a JWS. <see cref="Alg"/> and <see cref="Kid"/> come from a JWK and are empty
/// for keys taken from PEM. Private parts are present only when the source had them.
/// </summary>
internal sealed class JwtKey
{
    public required JwtKeyType Type { get; init; }

    public string Alg { get; init; } = string.Empty;

    public string Kid { get; init; } = string.Empty;

    public RSAParameters Rsa { get; init; }

    public ECParameters Ec { get; init; }

    public byte[] Ed25519Public { get; init; } = [];

    public byte[]? Ed25519Seed { get; init; }

    public byte[] Secret { get; init; } = [];
}

/// <summary>JWK and PEM key loading with OPA's rules (getKeysFromCertOrJWK and jwk.Parse).</summary>
internal static class Jwk
{
    /// <summary>Algorithms OPA knows; JWKS keys naming another algorithm are skipped.</summary>
    public static readonly HashSet<string> KnownAlgorithms = new(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA",
    };

    /// <summary>A big-endian unsigned integer as a JWK member: minimal bytes, base64url without padding.</summary>
    public static string Big(byte[]? bigEndian)
    {
        var span = (bigEndian ?? []).AsSpan();
        while (span.Length > 1 && span[0] == 0)
        {
            span = span[1..];
        }

        return GoBase64.EncodeRawUrl(span);
    }

    /// <summary>Keys from a PEM certificate, a PEM public key, or a JWK / JWK set.</summary>
    public static List<JwtKey> FromCertOrJwk(string text)
    {
        var block = GoPem.Decode(text, out var rest);
        if (block is not null)
        {
            if (rest.Length > 0)
            {
                throw new BuiltinErrorException("extra data after a PEM certificate block");
            }

            if (block.Type == "CERTIFICATE")
            {
                try
                {
                    using var cert = X509CertificateLoader.LoadCertificate(block.Bytes);
                    return [FromSubjectPublicKeyInfo(cert.PublicKey.ExportSubjectPublicKeyInfo(), "failed to parse a PEM certificate")];
                }
                catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                {
                    throw new BuiltinErrorException("failed to parse a PEM certificate: x509: malformed certificate");
                }
            }

            if (block.Type == "PUBLIC KEY")
            {
                return [FromSubjectPublicKeyInfo(block.Bytes, "failed to parse a PEM public key")];
            }

            throw new BuiltinErrorException("failed to extract a Key from the PEM certificate");
        }

        List<JwtKey> all;
        try
        {
            all = ParseSet(text);
        }
        catch (BuiltinErrorException e)
        {
            throw new BuiltinErrorException($"failed to parse a JWK key (set): {e.Message}");
        }

        return all.Where(k => k.Alg.Length == 0 || KnownAlgorithms.Contains(k.Alg)).ToList();
    }

    /// <summary>A JWK set (<c>{"keys": [...]}</c>) or a single JWK.</summary>
    public static List<JwtKey> ParseSet(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new BuiltinErrorException("failed to unmarshal JWK set: invalid JSON");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BuiltinErrorException("failed to unmarshal JWK set: not a JSON object");
            }

            if (root.TryGetProperty("keys", out var keys))
            {
                if (keys.ValueKind != JsonValueKind.Array)
                {
                    throw new BuiltinErrorException("failed to unmarshal JWK set: \"keys\" must be an array");
                }

                return keys.EnumerateArray().Select(ParseKey).ToList();
            }

            return [ParseKey(root)];
        }
    }

    public static JwtKey ParseKey(JsonElement jwk)
    {
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            throw new BuiltinErrorException("failed to parse JWK: not a JSON object");
        }

        var kty = Member(jwk, "kty");
        var alg = Member(jwk, "alg") ?? string.Empty;
        var kid = Member(jwk, "kid") ?? string.Empty;
        switch (kty)
        {
            case "RSA":
                {
                    var parameters = new RSAParameters
                    {
                        Modulus = Required(jwk, "n"),
                        Exponent = Required(jwk, "e"),
                        D = Optional(jwk, "d"),
                        P = Optional(jwk, "p"),
                        Q = Optional(jwk, "q"),
                        DP = Optional(jwk, "dp"),
                        DQ = Optional(jwk, "dq"),
                        InverseQ = Optional(jwk, "qi"),
                    };
                    return new JwtKey { Type = JwtKeyType.Rsa, Rsa = NormalizeRsa(parameters), Alg = alg, Kid = kid };
                }

            case "EC":
                {
                    var crv = Member(jwk, "crv");
                    var (curve, size) = crv switch
                    {
                        "P-256" => (ECCurve.NamedCurves.nistP256, 32),
                        "P-384" => (ECCurve.NamedCurves.nistP384, 48),
                        "P-521" => (ECCurve.NamedCurves.nistP521, 66),
                        _ => throw new BuiltinErrorException($"failed to parse JWK: unsupported curve {crv}"),
                    };
                    var d = Optional(jwk, "d");
                    var parameters = new ECParameters
                    {
                        Curve = curve,
                        Q = new ECPoint { X = LeftPad(Required(jwk, "x"), size), Y = LeftPad(Required(jwk, "y"), size) },
                        D = d is null ? null : LeftPad(d, size),
                    };
                    return new JwtKey { Type = JwtKeyType.Ec, Ec = parameters, Alg = alg, Kid = kid };
                }

            case "OKP":
                {
                    if (Member(jwk, "crv") != "Ed25519")
                    {
                        throw new BuiltinErrorException("failed to parse JWK: unsupported OKP curve");
                    }

                    var x = Required(jwk, "x");
                    var d = Optional(jwk, "d");
                    if (x.Length != Ed25519.PublicKeySize || (d is not null && d.Length != Ed25519.SeedSize))
                    {
                        throw new BuiltinErrorException("failed to parse JWK: invalid Ed25519 key size");
                    }

                    return new JwtKey { Type = JwtKeyType.Ed25519, Ed25519Public = x, Ed25519Seed = d, Alg = alg, Kid = kid };
                }

            case "oct":
                return new JwtKey { Type = JwtKeyType.Symmetric, Secret = Required(jwk, "k"), Alg = alg, Kid = kid };

            case null:
                throw new BuiltinErrorException("failed to parse JWK: missing \"kty\"");

            default:
                throw new BuiltinErrorException($"failed to parse JWK: invalid key type {kty}");
        }
    }

    /// <summary>An RSA, EC or Ed25519 public key from DER SubjectPublicKeyInfo.</summary>
    public static JwtKey FromSubjectPublicKeyInfo(byte[] spki, string errorPrefix)
    {
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            var algorithm = reader.ReadSequence().ReadObjectIdentifier();
            var keyBits = reader.ReadBitString(out _);
            switch (algorithm)
            {
                case PrivateKeys.OidRsa:
                    {
                        using var rsa = RSA.Create();
                        rsa.ImportSubjectPublicKeyInfo(spki, out _);
                        return new JwtKey { Type = JwtKeyType.Rsa, Rsa = rsa.ExportParameters(false) };
                    }

                case PrivateKeys.OidEc:
                    {
                        using var ec = ECDsa.Create();
                        ec.ImportSubjectPublicKeyInfo(spki, out _);
                        return new JwtKey { Type = JwtKeyType.Ec, Ec = ec.ExportParameters(false) };
                    }

                case PrivateKeys.OidEd25519:
                    if (keyBits.Length != Ed25519.PublicKeySize)
                    {
                        throw new BuiltinErrorException($"{errorPrefix}: x509: wrong Ed25519 public key size");
                    }

                    return new JwtKey { Type = JwtKeyType.Ed25519, Ed25519Public = keyBits };
                default:
                    throw new BuiltinErrorException($"{errorPrefix}: x509: unknown public key algorithm");
            }
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or PlatformNotSupportedException)
        {
            throw new BuiltinErrorException($"{errorPrefix}: x509: failed to parse public key");
        }
    }

    private static RSAParameters NormalizeRsa(RSAParameters p)
    {
        // .NET wants the private CRT parts present together and sized to the modulus; without them, sign-only keys are public.
        if (p.D is null || p.P is null || p.Q is null || p.DP is null || p.DQ is null || p.InverseQ is null)
        {
            return new RSAParameters { Modulus = p.Modulus, Exponent = p.Exponent };
        }

        var n = StripZeros(p.Modulus!);
        var half = (n.Length + 1) / 2;
        return new RSAParameters
        {
            Modulus = n,
            Exponent = StripZeros(p.Exponent!),
            D = LeftPad(p.D, n.Length),
            P = LeftPad(p.P, half),
            Q = LeftPad(p.Q, half),
            DP = LeftPad(p.DP, half),
            DQ = LeftPad(p.DQ, half),
            InverseQ = LeftPad(p.InverseQ, half),
        };
    }

    private static byte[] StripZeros(byte[] b)
    {
        var i = 0;
        while (i < b.Length - 1 && b[i] == 0)
        {
            i++;
        }

        return b[i..];
    }

    private static byte[] LeftPad(byte[] b, int size)
    {
        b = StripZeros(b);
        if (b.Length >= size)
        {
            return b;
        }

        var padded = new byte[size];
        b.CopyTo(padded, size - b.Length);
        return padded;
    }

    private static string? Member(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[]? Optional(JsonElement o, string name)
    {
        var s = Member(o, name);
        if (s is null)
        {
            return null;
        }

        try
        {
            return GoBase64.DecodeUrlLenient(s.TrimEnd('='));
        }
        catch (BuiltinErrorException)
        {
            throw new BuiltinErrorException($"failed to parse JWK: invalid base64url in \"{name}\"");
        }
    }

    private static byte[] Required(JsonElement o, string name) =>
        Optional(o, name) ?? throw new BuiltinErrorException($"failed to parse JWK: required field {name} is missing");
}
