using System.Numerics;
using System.Security.Cryptography;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Ed25519 (RFC 8032, section 5.1) for EdDSA JWTs: .NET 10 has no Ed25519 outside composite ML-DSA.
/// Written from the RFC's math with arbitrary-precision integers. Verification handles public data only;
/// signing (io.jwt.encode_sign with an OKP key) is not constant-time, which the policy engine accepts
/// because such keys come from the policy's own input.
/// </summary>
internal static class Ed25519
{
    public const int SeedSize = 32;
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger D2 = Mod(2 * D);
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly Point BasePoint = CreateBasePoint();

    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        var (a, _) = Expand(seed);
        return Encode(Multiply(BasePoint, a));
    }

    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var (a, prefix) = Expand(seed);
        var publicKey = Encode(Multiply(BasePoint, a));
        var r = Mod(FromLittleEndian(SHA512.HashData([.. prefix, .. message])), L);
        var rEncoded = Encode(Multiply(BasePoint, r));
        var h = Mod(FromLittleEndian(SHA512.HashData([.. rEncoded, .. publicKey, .. message])), L);
        var s = Mod(r + (h * a), L);
        var signature = new byte[SignatureSize];
        rEncoded.CopyTo(signature, 0);
        ToLittleEndian(s).CopyTo(signature, 32);
        return signature;
    }

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        var a = Decode(publicKey);
        var r = Decode(signature[..32]);
        if (a is null || r is null)
        {
            return false;
        }

        var s = FromLittleEndian(signature[32..]);
        if (s >= L)
        {
            return false;
        }

        var h = Mod(FromLittleEndian(SHA512.HashData([.. signature[..32], .. publicKey, .. message])), L);
        var left = Multiply(BasePoint, s);
        var right = Add(r.Value, Multiply(a.Value, h));
        return PointEquals(left, right);
    }

    private static (BigInteger A, byte[] Prefix) Expand(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        var h = SHA512.HashData(seed);
        var scalar = h[..32];
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        return (FromLittleEndian(scalar), h[32..]);
    }

    private static BigInteger Mod(BigInteger a) => Mod(a, P);

    private static BigInteger Mod(BigInteger a, BigInteger m)
    {
        var r = a % m;
        return r.Sign < 0 ? r + m : r;
    }

    private static BigInteger Inverse(BigInteger a) => BigInteger.ModPow(Mod(a), P - 2, P);

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static byte[] ToLittleEndian(BigInteger value)
    {
        var result = new byte[32];
        value.TryWriteBytes(result, out _, isUnsigned: true, isBigEndian: false);
        return result;
    }

    private static Point CreateBasePoint()
    {
        var y = Mod(4 * Inverse(5));
        var x = RecoverX(y, 0) ?? throw new InvalidOperationException("Ed25519 base point");
        return new Point(x, y, 1, Mod(x * y));
    }

    private static BigInteger? RecoverX(BigInteger y, int sign)
    {
        if (y >= P)
        {
            return null;
        }

        var x2 = Mod(((y * y) - 1) * Inverse((D * y * y) + 1));
        if (x2.IsZero)
        {
            return sign == 0 ? BigInteger.Zero : null;
        }

        var x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (!Mod((x * x) - x2).IsZero)
        {
            x = Mod(x * SqrtMinusOne);
        }

        if (!Mod((x * x) - x2).IsZero)
        {
            return null;
        }

        if ((int)(x & 1) != sign)
        {
            x = P - x;
        }

        return x;
    }

    private static Point? Decode(ReadOnlySpan<byte> encoded)
    {
        var bytes = encoded.ToArray();
        var sign = bytes[31] >> 7;
        bytes[31] &= 0x7F;
        var y = FromLittleEndian(bytes);
        var x = RecoverX(y, sign);
        return x is null ? null : new Point(x.Value, y, 1, Mod(x.Value * y));
    }

    private static byte[] Encode(Point point)
    {
        var zInverse = Inverse(point.Z);
        var x = Mod(point.X * zInverse);
        var y = Mod(point.Y * zInverse);
        var bytes = ToLittleEndian(y);
        bytes[31] |= (byte)((int)(x & 1) << 7);
        return bytes;
    }

    private static Point Add(Point p, Point q)
    {
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = Mod((p.Y + p.X) * (q.Y + q.X));
        var c = Mod(p.T * D2 * q.T);
        var d = Mod(p.Z * 2 * q.Z);
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    private static Point Multiply(Point point, BigInteger scalar)
    {
        var result = new Point(0, 1, 1, 0);
        var addend = point;
        while (scalar > 0)
        {
            if (!scalar.IsEven)
            {
                result = Add(result, addend);
            }

            addend = Add(addend, addend);
            scalar >>= 1;
        }

        return result;
    }

    private static bool PointEquals(Point p, Point q) =>
        Mod((p.X * q.Z) - (q.X * p.Z)).IsZero && Mod((p.Y * q.Z) - (q.Y * p.Z)).IsZero;

    /// <summary>A point in extended twisted Edwards coordinates (x = X/Z, y = Y/Z, xy = T/Z).</summary>
    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);
}
