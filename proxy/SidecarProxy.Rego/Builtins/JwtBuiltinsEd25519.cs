using System.Numerics;
using System.Security.Cryptography;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Ed25519 (RFC 8032, section 5.1) for EdDSA JWTs: .NET 10 has no Ed25519 outside composite ML-DSA.
/// Written from the RFC's math: field arithmetic in five 51-bit limbs, points in extended twisted Edwards
/// coordinates, scalars mod L as big integers. Verification follows Go's crypto/ed25519 (cofactorless, R compared
/// by encoding). Scalar multiplication is not constant-time: fine for verification, which handles public data;
/// signing (io.jwt.encode_sign with an OKP key) uses keys the policy itself supplies.
/// </summary>
internal static class Ed25519
{
    public const int SeedSize = 32;
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly Fe D = Fe.FromBigInteger(Mod(-121665 * BigInteger.ModPow(121666, P - 2, P), P));
    private static readonly Fe D2 = D + D;
    private static readonly Fe SqrtMinusOne = Fe.FromBigInteger(BigInteger.ModPow(2, (P - 1) / 4, P));
    private static readonly byte[] PPlus3Over8 = ((P + 3) / 8).ToByteArray(isUnsigned: true, isBigEndian: true);
    private static readonly Point BasePoint = Decode(Convert.FromHexString("5866666666666666666666666666666666666666666666666666666666666666"))
        ?? throw new InvalidOperationException("Ed25519 base point");

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
        if (a is null)
        {
            return false;
        }

        var s = FromLittleEndian(signature[32..]);
        if (s >= L)
        {
            return false;
        }

        var h = Mod(FromLittleEndian(SHA512.HashData([.. signature[..32], .. publicKey, .. message])), L);

        // R' = [s]B - [h]A must encode to the signature's R.
        var check = DoubleMultiply(BasePoint, s, Negate(a.Value), h);
        return CryptographicOperations.FixedTimeEquals(Encode(check), signature[..32]);
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

    private static BigInteger Mod(BigInteger a, BigInteger m)
    {
        var r = a % m;
        return r.Sign < 0 ? r + m : r;
    }

    private static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);

    private static byte[] ToLittleEndian(BigInteger value)
    {
        var result = new byte[32];
        value.TryWriteBytes(result, out _, isUnsigned: true, isBigEndian: false);
        return result;
    }

    private static Point? Decode(ReadOnlySpan<byte> encoded)
    {
        var sign = encoded[31] >> 7;
        var y = Fe.FromBytes(encoded);

        // x^2 = (y^2 - 1) / (d y^2 + 1)
        var y2 = y.Square();
        var u = y2 - Fe.One;
        var v = (D * y2) + Fe.One;
        var x2 = u * v.Invert();
        var x = x2.Pow(PPlus3Over8);
        if (!(x.Square() - x2).IsZero)
        {
            x *= SqrtMinusOne;
            if (!(x.Square() - x2).IsZero)
            {
                return null;
            }
        }

        if (x.IsZero && sign == 1)
        {
            return null;
        }

        if (x.IsNegative != (sign == 1))
        {
            x = Fe.Zero - x;
        }

        return new Point(x, y, Fe.One, x * y);
    }

    private static byte[] Encode(Point point)
    {
        var zInverse = point.Z.Invert();
        var x = point.X * zInverse;
        var y = point.Y * zInverse;
        var bytes = y.ToBytes();
        if (x.IsNegative)
        {
            bytes[31] |= 0x80;
        }

        return bytes;
    }

    private static Point Negate(Point p) => new(Fe.Zero - p.X, p.Y, p.Z, Fe.Zero - p.T);

    private static Point Add(Point p, Point q)
    {
        var a = (p.Y - p.X) * (q.Y - q.X);
        var b = (p.Y + p.X) * (q.Y + q.X);
        var c = p.T * D2 * q.T;
        var d = p.Z * q.Z;
        d += d;
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(e * f, g * h, f * g, e * h);
    }

    /// <summary>Doubling in extended coordinates for a = -1 (the "dbl-2008-hwcd" formulas).</summary>
    private static Point Double(Point p)
    {
        var a = p.X.Square();
        var b = p.Y.Square();
        var c = p.Z.Square();
        c += c;
        var e = (p.X + p.Y).Square() - a - b;
        var g = b - a;
        var f = g - c;
        var h = Fe.Zero - a - b;
        return new Point(e * f, g * h, f * g, e * h);
    }

    /// <summary>[s]P + [t]Q with shared doublings (Straus), for verification.</summary>
    private static Point DoubleMultiply(Point p, BigInteger s, Point q, BigInteger t)
    {
        var sBytes = ToLittleEndian(s);
        var tBytes = ToLittleEndian(t);
        var both = Add(p, q);
        var result = new Point(Fe.Zero, Fe.One, Fe.One, Fe.Zero);
        for (var i = 255; i >= 0; i--)
        {
            result = Double(result);
            var sBit = (sBytes[i >> 3] >> (i & 7)) & 1;
            var tBit = (tBytes[i >> 3] >> (i & 7)) & 1;
            if (sBit == 1 && tBit == 1)
            {
                result = Add(result, both);
            }
            else if (sBit == 1)
            {
                result = Add(result, p);
            }
            else if (tBit == 1)
            {
                result = Add(result, q);
            }
        }

        return result;
    }

    private static Point Multiply(Point point, BigInteger scalar)
    {
        var bytes = ToLittleEndian(scalar);
        var result = new Point(Fe.Zero, Fe.One, Fe.One, Fe.Zero);
        for (var i = 255; i >= 0; i--)
        {
            result = Double(result);
            if (((bytes[i >> 3] >> (i & 7)) & 1) != 0)
            {
                result = Add(result, point);
            }
        }

        return result;
    }

    /// <summary>A point in extended twisted Edwards coordinates (x = X/Z, y = Y/Z, xy = T/Z).</summary>
    private readonly record struct Point(Fe X, Fe Y, Fe Z, Fe T);

    /// <summary>An element of GF(2^255 - 19) in five 51-bit limbs (not necessarily fully reduced).</summary>
    private readonly struct Fe
    {
        private const ulong Mask = (1UL << 51) - 1;

        private readonly ulong _l0;
        private readonly ulong _l1;
        private readonly ulong _l2;
        private readonly ulong _l3;
        private readonly ulong _l4;

        private Fe(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
        {
            _l0 = l0;
            _l1 = l1;
            _l2 = l2;
            _l3 = l3;
            _l4 = l4;
        }

        public static Fe Zero => default;

        public static Fe One => new(1, 0, 0, 0, 0);

        public bool IsZero => ToBytes().AsSpan().IndexOfAnyExcept((byte)0) < 0;

        /// <summary>RFC 8032's sign of x: its least significant bit once fully reduced.</summary>
        public bool IsNegative => (ToBytes()[0] & 1) == 1;

        public static Fe FromBigInteger(BigInteger value) => FromBytes(ToLittleEndian(value));

        /// <summary>Reads 255 bits little-endian; the top bit is ignored and non-canonical values are accepted, as in Go.</summary>
        public static Fe FromBytes(ReadOnlySpan<byte> b)
        {
            static ulong Load(ReadOnlySpan<byte> s, int offset)
            {
                ulong v = 0;
                for (var i = 7; i >= 0; i--)
                {
                    v = (v << 8) | (offset + i < s.Length ? s[offset + i] : 0UL);
                }

                return v;
            }

            return new Fe(
                Load(b, 0) & Mask,
                (Load(b, 6) >> 3) & Mask,
                (Load(b, 12) >> 6) & Mask,
                (Load(b, 19) >> 1) & Mask,
                (Load(b, 24) >> 12) & Mask);
        }

        public static Fe operator +(Fe a, Fe b) =>
            Carry(a._l0 + b._l0, a._l1 + b._l1, a._l2 + b._l2, a._l3 + b._l3, a._l4 + b._l4);

        public static Fe operator -(Fe a, Fe b)
        {
            // Add 2p first so limbs stay non-negative; b is carried, so its limbs are below 2^52.
            return Carry(
                a._l0 + 0xFFFFFFFFFFFDAUL - b._l0,
                a._l1 + 0xFFFFFFFFFFFFEUL - b._l1,
                a._l2 + 0xFFFFFFFFFFFFEUL - b._l2,
                a._l3 + 0xFFFFFFFFFFFFEUL - b._l3,
                a._l4 + 0xFFFFFFFFFFFFEUL - b._l4);
        }

        public static Fe operator *(Fe a, Fe b)
        {
            var b1 = b._l1 * 19;
            var b2 = b._l2 * 19;
            var b3 = b._l3 * 19;
            var b4 = b._l4 * 19;
            var r0 = M(a._l0, b._l0) + M(a._l1, b4) + M(a._l2, b3) + M(a._l3, b2) + M(a._l4, b1);
            var r1 = M(a._l0, b._l1) + M(a._l1, b._l0) + M(a._l2, b4) + M(a._l3, b3) + M(a._l4, b2);
            var r2 = M(a._l0, b._l2) + M(a._l1, b._l1) + M(a._l2, b._l0) + M(a._l3, b4) + M(a._l4, b3);
            var r3 = M(a._l0, b._l3) + M(a._l1, b._l2) + M(a._l2, b._l1) + M(a._l3, b._l0) + M(a._l4, b4);
            var r4 = M(a._l0, b._l4) + M(a._l1, b._l3) + M(a._l2, b._l2) + M(a._l3, b._l1) + M(a._l4, b._l0);

            r1 += (ulong)(r0 >> 51);
            var l0 = (ulong)r0 & Mask;
            r2 += (ulong)(r1 >> 51);
            var l1 = (ulong)r1 & Mask;
            r3 += (ulong)(r2 >> 51);
            var l2 = (ulong)r2 & Mask;
            r4 += (ulong)(r3 >> 51);
            var l3 = (ulong)r3 & Mask;
            var carry = (ulong)(r4 >> 51);
            var l4 = (ulong)r4 & Mask;
            return Carry(l0 + (carry * 19), l1, l2, l3, l4);
        }

        public Fe Square() => this * this;

        public Fe Invert() => Pow(PMinus2);

        /// <summary>Raises to a big-endian exponent by square-and-multiply.</summary>
        public Fe Pow(byte[] exponentBigEndian)
        {
            var result = One;
            foreach (var octet in exponentBigEndian)
            {
                for (var bit = 7; bit >= 0; bit--)
                {
                    result = result.Square();
                    if (((octet >> bit) & 1) != 0)
                    {
                        result *= this;
                    }
                }
            }

            return result;
        }

        /// <summary>The canonical 32-byte little-endian encoding (fully reduced mod p).</summary>
        public byte[] ToBytes()
        {
            var t = Carry(_l0, _l1, _l2, _l3, _l4);
            ulong l0 = t._l0, l1 = t._l1, l2 = t._l2, l3 = t._l3, l4 = t._l4;

            // q is 1 exactly when the value is at least p; adding 19q and dropping bit 255 subtracts p.
            var q = (l0 + 19) >> 51;
            q = (l1 + q) >> 51;
            q = (l2 + q) >> 51;
            q = (l3 + q) >> 51;
            q = (l4 + q) >> 51;
            l0 += 19 * q;
            l1 += l0 >> 51;
            l0 &= Mask;
            l2 += l1 >> 51;
            l1 &= Mask;
            l3 += l2 >> 51;
            l2 &= Mask;
            l4 += l3 >> 51;
            l3 &= Mask;
            l4 &= Mask;

            var value = new BigInteger(l4);
            value = (value << 51) | l3;
            value = (value << 51) | l2;
            value = (value << 51) | l1;
            value = (value << 51) | l0;
            return ToLittleEndian(value);
        }

        private static readonly byte[] PMinus2 = (P - 2).ToByteArray(isUnsigned: true, isBigEndian: true);

        // Math.BigMul maps to a single 64x64->128 multiply; (UInt128)a * b would multiply full 128-bit values.
        private static UInt128 M(ulong a, ulong b)
        {
            var high = Math.BigMul(a, b, out var low);
            return new UInt128(high, low);
        }

        private static Fe Carry(ulong l0, ulong l1, ulong l2, ulong l3, ulong l4)
        {
            l1 += l0 >> 51;
            l0 &= Mask;
            l2 += l1 >> 51;
            l1 &= Mask;
            l3 += l2 >> 51;
            l2 &= Mask;
            l4 += l3 >> 51;
            l3 &= Mask;
            l0 += 19 * (l4 >> 51);
            l4 &= Mask;
            l1 += l0 >> 51;
            l0 &= Mask;
            return new Fe(l0, l1, l2, l3, l4);
        }
    }
}
