using System.Numerics;
using System.Security.Cryptography;

namespace SidecarProxy.Rego.Builtins;

/// <summary>JWS signing and verification for the algorithms OPA supports (RFC 7518 plus EdDSA).</summary>
internal static class Jws
{
    public static HashAlgorithmName HashFor(string alg) => alg[2..] switch
    {
        "256" => HashAlgorithmName.SHA256,
        "384" => HashAlgorithmName.SHA384,
        "512" => HashAlgorithmName.SHA512,
        _ => throw new BuiltinErrorException($"unsupported signature algorithm {alg}"),
    };

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="signingInput"/>. A key of the wrong type for
    /// <paramref name="alg"/> does not verify. <paramref name="lenientEcdsa"/> reads r and s from the two halves of
    /// the signature whatever its length, as OPA's io.jwt.verify_es* do.
    /// </summary>
    public static bool Verify(JwtKey key, string alg, byte[] signingInput, byte[] signature, bool lenientEcdsa = false)
    {
        try
        {
            switch (alg)
            {
                case "HS256" or "HS384" or "HS512":
                    return key.Type == JwtKeyType.Symmetric
                        && CryptographicOperations.FixedTimeEquals(Hmac(alg, key.Secret, signingInput), signature);
                case "RS256" or "RS384" or "RS512":
                    if (key.Type != JwtKeyType.Rsa)
                    {
                        return false;
                    }

                    using (var rsa = RSA.Create(PublicOnly(key.Rsa)))
                    {
                        return rsa.VerifyData(signingInput, signature, HashFor(alg), RSASignaturePadding.Pkcs1);
                    }

                case "PS256" or "PS384" or "PS512":
                    return key.Type == JwtKeyType.Rsa && RsaPss.Verify(PublicOnly(key.Rsa), HashFor(alg), signingInput, signature);
                case "ES256" or "ES384" or "ES512":
                    return key.Type == JwtKeyType.Ec && VerifyEcdsa(key.Ec, HashFor(alg), signingInput, signature, lenientEcdsa);
                case "EdDSA":
                    return key.Type == JwtKeyType.Ed25519 && Ed25519.Verify(key.Ed25519Public, signingInput, signature);
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    public static byte[] Sign(JwtKey key, string alg, byte[] signingInput)
    {
        try
        {
            switch (alg)
            {
                case "HS256" or "HS384" or "HS512":
                    RequireType(key, JwtKeyType.Symmetric, alg);
                    return Hmac(alg, key.Secret, signingInput);
                case "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512":
                    {
                        RequireType(key, JwtKeyType.Rsa, alg);
                        if (key.Rsa.D is null)
                        {
                            throw new BuiltinErrorException($"failed to sign payload using {alg}: not a private key");
                        }

                        using var rsa = RSA.Create(key.Rsa);
                        var padding = alg[0] == 'P' ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                        return rsa.SignData(signingInput, HashFor(alg), padding);
                    }

                case "ES256" or "ES384" or "ES512":
                    {
                        RequireType(key, JwtKeyType.Ec, alg);
                        if (key.Ec.D is null)
                        {
                            throw new BuiltinErrorException($"failed to sign payload using {alg}: not a private key");
                        }

                        using var ec = ECDsa.Create(key.Ec);
                        return ec.SignData(signingInput, HashFor(alg), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }

                case "EdDSA":
                    RequireType(key, JwtKeyType.Ed25519, alg);
                    return Ed25519.Sign(key.Ed25519Seed ?? throw new BuiltinErrorException("failed to sign payload using EdDSA: not a private key"), signingInput);
                default:
                    throw new BuiltinErrorException($"unknown JWS algorithm: {alg}");
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            throw new BuiltinErrorException($"failed to sign payload using {alg}");
        }
    }

    private static void RequireType(JwtKey key, JwtKeyType type, string alg)
    {
        if (key.Type != type)
        {
            throw new BuiltinErrorException($"failed to sign payload using {alg}: invalid key type for algorithm");
        }
    }

    private static byte[] Hmac(string alg, byte[] key, byte[] data) => alg switch
    {
        "HS256" => HMACSHA256.HashData(key, data),
        "HS384" => HMACSHA384.HashData(key, data),
        _ => HMACSHA512.HashData(key, data),
    };

    private static RSAParameters PublicOnly(RSAParameters p) => new() { Modulus = p.Modulus, Exponent = p.Exponent };

    private static bool VerifyEcdsa(ECParameters parameters, HashAlgorithmName hash, byte[] data, byte[] signature, bool lenient)
    {
        using var ec = ECDsa.Create(new ECParameters { Curve = parameters.Curve, Q = parameters.Q });
        var fieldSize = (ec.KeySize + 7) / 8;
        if (signature.Length != 2 * fieldSize)
        {
            if (!lenient || signature.Length < 2)
            {
                return false;
            }

            // Re-encode r and s, read from the halves, at the curve's fixed width.
            var n = signature.Length / 2;
            var r = new BigInteger(signature.AsSpan(0, n), isUnsigned: true, isBigEndian: true);
            var s = new BigInteger(signature.AsSpan(n), isUnsigned: true, isBigEndian: true);
            if (r.GetByteCount(isUnsigned: true) > fieldSize || s.GetByteCount(isUnsigned: true) > fieldSize)
            {
                return false;
            }

            var fixedWidth = new byte[2 * fieldSize];
            r.TryWriteBytes(fixedWidth.AsSpan(fieldSize - r.GetByteCount(isUnsigned: true), r.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
            s.TryWriteBytes(fixedWidth.AsSpan((2 * fieldSize) - s.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
            signature = fixedWidth;
        }

        return ec.VerifyData(data, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}

/// <summary>
/// RSASSA-PSS verification (RFC 8017, 8.1.2 and 9.1.2) that recovers the salt length from the signature, as Go's
/// rsa.VerifyPSS does with nil options; .NET's own PSS verification accepts only salts as long as the hash.
/// </summary>
internal static class RsaPss
{
    public static bool Verify(RSAParameters key, HashAlgorithmName hashName, byte[] message, byte[] signature)
    {
        using (var rsa = RSA.Create(key))
        {
            if (rsa.VerifyData(message, signature, hashName, RSASignaturePadding.Pss))
            {
                return true;
            }
        }

        var n = new BigInteger(key.Modulus, isUnsigned: true, isBigEndian: true);
        var e = new BigInteger(key.Exponent, isUnsigned: true, isBigEndian: true);
        var k = key.Modulus!.Length;
        if (signature.Length != k)
        {
            return false;
        }

        var sig = new BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (sig >= n)
        {
            return false;
        }

        var modBits = (int)n.GetBitLength();
        var emBits = modBits - 1;
        var emLen = (emBits + 7) / 8;
        var m = BigInteger.ModPow(sig, e, n);
        if (m.GetByteCount(isUnsigned: true) > emLen)
        {
            return false;
        }

        var em = new byte[emLen];
        m.TryWriteBytes(em.AsSpan(emLen - m.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);

        var mHash = Hash(hashName, message);
        var hLen = mHash.Length;
        if (emLen < hLen + 2 || em[^1] != 0xBC)
        {
            return false;
        }

        var maskedDb = em.AsSpan(0, emLen - hLen - 1).ToArray();
        var h = em.AsSpan(emLen - hLen - 1, hLen).ToArray();
        var unusedBits = (8 * emLen) - emBits;
        var topMask = (byte)(0xFF >> unusedBits);
        if ((maskedDb[0] & ~topMask) != 0)
        {
            return false;
        }

        var dbMask = Mgf1(hashName, h, maskedDb.Length);
        for (var i = 0; i < maskedDb.Length; i++)
        {
            maskedDb[i] ^= dbMask[i];
        }

        maskedDb[0] &= topMask;

        // DB = PS (zeros) || 0x01 || salt; find the separator to learn the salt length.
        var sep = 0;
        while (sep < maskedDb.Length && maskedDb[sep] == 0)
        {
            sep++;
        }

        if (sep == maskedDb.Length || maskedDb[sep] != 0x01)
        {
            return false;
        }

        var salt = maskedDb.AsSpan(sep + 1);
        var mPrime = new byte[8 + hLen + salt.Length];
        mHash.CopyTo(mPrime, 8);
        salt.CopyTo(mPrime.AsSpan(8 + hLen));
        return CryptographicOperations.FixedTimeEquals(Hash(hashName, mPrime), h);
    }

    private static byte[] Hash(HashAlgorithmName name, byte[] data)
    {
        if (name == HashAlgorithmName.SHA256)
        {
            return SHA256.HashData(data);
        }

        return name == HashAlgorithmName.SHA384 ? SHA384.HashData(data) : SHA512.HashData(data);
    }

    private static byte[] Mgf1(HashAlgorithmName name, byte[] seed, int length)
    {
        var output = new List<byte>(length + 64);
        var counter = new byte[4];
        for (uint c = 0; output.Count < length; c++)
        {
            counter[0] = (byte)(c >> 24);
            counter[1] = (byte)(c >> 16);
            counter[2] = (byte)(c >> 8);
            counter[3] = (byte)c;
            output.AddRange(Hash(name, [.. seed, .. counter]));
        }

        return output.GetRange(0, length).ToArray();
    }
}
