using System.Security.Cryptography;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>crypto.* hashing, HMAC and private-key builtins, with OPA's semantics (v1/topdown/crypto.go).</summary>
internal static class CryptoBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);

        // MD5 and SHA-1 are what these builtins are defined to compute; they protect nothing here.
#pragma warning disable CA5350, CA5351
        registry.Add("crypto.md5", 1, (_, a) => Hex(MD5.HashData(Utf8(a, 0))));
        registry.Add("crypto.sha1", 1, (_, a) => Hex(SHA1.HashData(Utf8(a, 0))));
        registry.Add("crypto.sha256", 1, (_, a) => Hex(SHA256.HashData(Utf8(a, 0))));
        registry.Add("crypto.hmac.md5", 2, (_, a) => Hmac(a, HMACMD5.HashData));
        registry.Add("crypto.hmac.sha1", 2, (_, a) => Hmac(a, HMACSHA1.HashData));
#pragma warning restore CA5350, CA5351
        registry.Add("crypto.hmac.sha256", 2, (_, a) => Hmac(a, HMACSHA256.HashData));
        registry.Add("crypto.hmac.sha512", 2, (_, a) => Hmac(a, HMACSHA512.HashData));
        registry.Add("crypto.hmac.equal", 2, HmacEqual);
        registry.Add("crypto.parse_private_keys", 1, ParsePrivateKeys);
        registry.Add("crypto.x509.parse_rsa_private_key", 1, ParseRsaPrivateKey);
    }

    private static byte[] Utf8(RegoValue[] args, int index) => Encoding.UTF8.GetBytes(Operands.String(args, index));

    private static RegoString Hex(byte[] digest) => new(Convert.ToHexStringLower(digest));

    private static RegoString Hmac(RegoValue[] args, Func<byte[], byte[], byte[]> mac)
    {
        var message = Utf8(args, 0);
        var key = Utf8(args, 1);
        return Hex(mac(key, message));
    }

    private static RegoValue HmacEqual(BuiltinContext context, RegoValue[] args)
    {
        var mac1 = Utf8(args, 0);
        var mac2 = Utf8(args, 1);
        return RegoBoolean.From(CryptographicOperations.FixedTimeEquals(mac1, mac2));
    }

    private static RegoValue ParsePrivateKeys(BuiltinContext context, RegoValue[] args)
    {
        var input = Operands.String(args, 0);
        if (input.Length == 0)
        {
            return RegoNull.Instance;
        }

        var keys = PrivateKeys.FromPemData(input);
        return keys.Count == 0 ? RegoArray.Empty : new RegoArray(keys.Select(k => k.ToGoJson()).ToArray());
    }

    private static RegoValue ParseRsaPrivateKey(BuiltinContext context, RegoValue[] args)
    {
        var input = Operands.String(args, 0);
        if (input.Length == 0)
        {
            throw new BuiltinErrorException("input PEM data was empty");
        }

        // Not PEM: the input must then be base64 of PEM, and a failed decode is the error.
        if (!GoPem.StartsWithBegin(input))
        {
            input = GoPem.BytesToText(GoBase64.DecodeStd(input));
        }

        var keys = PrivateKeys.FromPemData(input);
        return keys.Count == 0 ? RegoNull.Instance : keys[0].ToJwk();
    }
}
