using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// A binary floating-point number with a 64-bit mantissa, rounded to nearest-even after every operation:
/// the arithmetic OPA does on non-integers (Go's <c>math/big.Float</c> at its default precision).
/// Emulating it, rather than using <see cref="double"/>, makes results such as <c>0.1 + 0.2</c> print and
/// compare as OPA's do (OPA prints the shortest decimal that reads back to the same 64-bit value).
/// </summary>
internal readonly struct RegoNumberMathFloat
{
    private const int Precision = 64;

    // Value = Mantissa * 2^Exponent; |Mantissa| < 2^64 (zero is Mantissa 0).
    private readonly BigInteger _mantissa;
    private readonly long _exponent;

    private RegoNumberMathFloat(BigInteger mantissa, long exponent)
    {
        _mantissa = mantissa;
        _exponent = exponent;
    }

    public static RegoNumberMathFloat Half { get; } = new(BigInteger.One, -1);

    public bool IsZero => _mantissa.IsZero;

    public bool IsNegative => _mantissa.Sign < 0;

    public int Sign => _mantissa.Sign;

    /// <summary>Rounds <paramref name="value"/> to 64 bits, as OPA converts any number it computes with.</summary>
    public static RegoNumberMathFloat From(RegoNumber value)
    {
        if (value.IsInteger)
        {
            return FromScaled(value.Integer, 0);
        }

        return Parse(value.ToNumberString()) ?? throw new InvalidOperationException("number text does not parse");
    }

    public static RegoNumberMathFloat FromInteger(BigInteger value) => FromScaled(value, 0);

    /// <summary>Parses a decimal literal (sign, digits, optional fraction and exponent), rounding to 64 bits. Null when malformed.</summary>
    public static RegoNumberMathFloat? Parse(string text)
    {
        if (!TryParseDecimal(text, out var digits, out var exponent10))
        {
            return null;
        }

        return FromDecimal(digits, exponent10);
    }

    /// <summary>digits * 10^exponent10, correctly rounded.</summary>
    public static RegoNumberMathFloat FromDecimal(BigInteger digits, long exponent10)
    {
        if (digits.IsZero)
        {
            return default;
        }

        // 10^k = 5^k * 2^k: keep the power of two in the exponent so the rational stays small.
        if (exponent10 >= 0)
        {
            return FromScaled(digits * BigInteger.Pow(5, checked((int)exponent10)), exponent10);
        }

        return FromRational(digits, BigInteger.Pow(5, checked((int)-exponent10)), exponent10);
    }

    /// <summary>
    /// Parses the decimal literals Go's number scanners accept here: optional sign, digits with at most one
    /// point (at least one digit), optional exponent. Returns the value as digits * 10^exponent10.
    /// </summary>
    public static bool TryParseDecimal(string text, out BigInteger digits, out long exponent10)
    {
        digits = BigInteger.Zero;
        exponent10 = 0;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        var ePos = s.IndexOfAny('e', 'E');
        var mantissa = ePos >= 0 ? s[..ePos] : s;
        if (ePos >= 0)
        {
            var exp = s[(ePos + 1)..];
            var expNegative = false;
            if (exp.Length > 0 && (exp[0] == '-' || exp[0] == '+'))
            {
                expNegative = exp[0] == '-';
                exp = exp[1..];
            }

            if (exp.IsEmpty || !AllDigits(exp) || !long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out exponent10))
            {
                return false;
            }

            if (exponent10 > int.MaxValue / 2)
            {
                return false;
            }

            exponent10 = expNegative ? -exponent10 : exponent10;
        }

        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : [];
        if ((intPart.IsEmpty && fracPart.IsEmpty) || !AllDigits(intPart) || !AllDigits(fracPart))
        {
            return false;
        }

        var all = string.Concat(intPart, fracPart);
        digits = all.Length == 0 ? BigInteger.Zero : BigInteger.Parse(all, NumberStyles.None, CultureInfo.InvariantCulture);
        if (negative)
        {
            digits = -digits;
        }

        exponent10 -= fracPart.Length;
        return true;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    public static RegoNumberMathFloat operator +(RegoNumberMathFloat a, RegoNumberMathFloat b)
    {
        if (a.IsZero)
        {
            return b;
        }

        if (b.IsZero)
        {
            return a;
        }

        var e = Math.Min(a._exponent, b._exponent);
        var sum = (a._mantissa << checked((int)(a._exponent - e))) + (b._mantissa << checked((int)(b._exponent - e)));
        return FromScaled(sum, e);
    }

    public static RegoNumberMathFloat operator -(RegoNumberMathFloat a) => new(-a._mantissa, a._exponent);

    public static RegoNumberMathFloat operator -(RegoNumberMathFloat a, RegoNumberMathFloat b) => a + -b;

    public static RegoNumberMathFloat operator *(RegoNumberMathFloat a, RegoNumberMathFloat b) =>
        FromScaled(a._mantissa * b._mantissa, a._exponent + b._exponent);

    /// <summary>The quotient; the caller rules out a zero divisor.</summary>
    public static RegoNumberMathFloat operator /(RegoNumberMathFloat a, RegoNumberMathFloat b)
    {
        if (b.IsZero)
        {
            throw new DivideByZeroException();
        }

        var num = b._mantissa.Sign < 0 ? -a._mantissa : a._mantissa;
        return FromRational(num, BigInteger.Abs(b._mantissa), a._exponent - b._exponent);
    }

    /// <summary>a / b of two integers, rounded once; b must not be 0.</summary>
    public static RegoNumberMathFloat Quotient(BigInteger a, BigInteger b)
    {
        if (b.IsZero)
        {
            throw new DivideByZeroException();
        }

        return FromRational(b.Sign < 0 ? -a : a, BigInteger.Abs(b), 0);
    }

    public RegoNumberMathFloat Abs() => new(BigInteger.Abs(_mantissa), _exponent);

    /// <summary>Truncates towards zero (Go's <c>Float.Int</c>).</summary>
    public BigInteger Truncate()
    {
        if (_exponent >= 0)
        {
            return _mantissa << checked((int)_exponent);
        }

        if (-_exponent > Precision + 1)
        {
            return BigInteger.Zero;
        }

        var magnitude = BigInteger.Abs(_mantissa) >> (int)-_exponent;
        return _mantissa.Sign < 0 ? -magnitude : magnitude;
    }

    /// <summary>True when the value has no fraction (the mantissa is kept odd, so a negative exponent means a fraction).</summary>
    public bool IsInteger => _mantissa.IsZero || _exponent >= 0;

    /// <summary>
    /// The number OPA would produce from this value: the shortest decimal that reads back to the same
    /// 64-bit value (Go's <c>Float.Text(format, -1)</c>), as a Rego number.
    /// </summary>
    public RegoNumber ToRegoNumber()
    {
        if (IsZero)
        {
            return RegoNumber.Zero;
        }

        var (digits, point) = Shortest();
        var sb = new StringBuilder(digits.Length + 24);
        if (IsNegative)
        {
            sb.Append('-');
        }

        sb.Append(digits).Append('e').Append((point - digits.Length).ToString(CultureInfo.InvariantCulture));
        if (!RegoNumber.TryParse(sb.ToString(), out var number))
        {
            throw new OverflowException("number out of range");
        }

        return number;
    }

    private static RegoNumberMathFloat FromRational(BigInteger num, BigInteger den, long exponent2)
    {
        // value = num / den * 2^exponent2, den > 0. Scale so the integer quotient has at least 66 bits,
        // then round it to 64 with the remainder as a sticky bit.
        if (num.IsZero)
        {
            return default;
        }

        var negative = num.Sign < 0;
        var n = BigInteger.Abs(num);
        var shift = 66 - (BitLength(n) - BitLength(den));
        if (shift > 0)
        {
            n <<= (int)shift;
        }
        else
        {
            den <<= (int)-shift;
        }

        var q = BigInteger.DivRem(n, den, out var r);
        return Round(negative, q, exponent2 - shift, !r.IsZero);
    }

    private static RegoNumberMathFloat FromScaled(BigInteger value, long exponent2)
    {
        if (value.IsZero)
        {
            return default;
        }

        return Round(value.Sign < 0, BigInteger.Abs(value), exponent2, sticky: false);
    }

    private static RegoNumberMathFloat Round(bool negative, BigInteger magnitude, long exponent2, bool sticky)
    {
        var extra = BitLength(magnitude) - Precision;
        if (extra > 0)
        {
            var dropped = magnitude & ((BigInteger.One << (int)extra) - 1);
            var half = BigInteger.One << (int)(extra - 1);
            magnitude >>= (int)extra;
            exponent2 += extra;
            var cmp = dropped.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && (sticky || !magnitude.IsEven)))
            {
                magnitude += 1;
            }
        }
        else if (sticky)
        {
            throw new InvalidOperationException("inexact value with a short mantissa");
        }

        // Keep the mantissa odd or zero-free at the bottom so equal values are represented alike.
        if (!magnitude.IsZero)
        {
            var tz = TrailingZeros(magnitude);
            if (tz > 0)
            {
                magnitude >>= tz;
                exponent2 += tz;
            }
        }

        return new RegoNumberMathFloat(negative ? -magnitude : magnitude, exponent2);
    }

    // The shortest digits (no leading or trailing zeros) and decimal point position such that
    // 0.digits * 10^point reads back to this value at 64 bits. Follows Go's big.Float roundShortest.
    private (string Digits, long Point) Shortest()
    {
        var magnitude = BigInteger.Abs(_mantissa);
        var (digits, point) = ToDecimal(magnitude, _exponent);

        // Mantissa with 65 bits, so that its lowest bit is half an ulp at 64-bit precision.
        var s = BitLength(magnitude) - (Precision + 1);
        var mant = s < 0 ? magnitude << (int)-s : magnitude >> (int)s;
        var exp = _exponent + s;
        var (lower, _) = ToDecimal(mant - 1, exp);
        var (upper, _) = ToDecimal(mant + 1, exp);
        var inclusive = (mant & 2).IsZero;

        for (var i = 0; i < digits.Length; i++)
        {
            var m = digits[i];
            var l = i < lower.Length ? lower[i] : '0';
            var u = i < upper.Length ? upper[i] : '0';
            var okDown = l != m || (inclusive && i + 1 == lower.Length);
            var okUp = m != u && (inclusive || m + 1 < u || i + 1 < upper.Length);
            if (okDown && okUp)
            {
                return RoundNearest(digits, point, i + 1);
            }

            if (okDown)
            {
                return Trim(digits[..(i + 1)], point);
            }

            if (okUp)
            {
                return RoundUp(digits, point, i + 1);
            }
        }

        return (digits, point);
    }

    private static (string Digits, long Point) RoundNearest(string digits, long point, int n)
    {
        bool up;
        if (digits[n] == '5' && n + 1 == digits.Length)
        {
            up = n > 0 && ((digits[n - 1] - '0') & 1) != 0;
        }
        else
        {
            up = digits[n] >= '5';
        }

        return up ? RoundUp(digits, point, n) : Trim(digits[..n], point);
    }

    private static (string Digits, long Point) RoundUp(string digits, long point, int n)
    {
        var chars = digits[..n].ToCharArray();
        var i = n - 1;
        while (i >= 0 && chars[i] == '9')
        {
            i--;
        }

        if (i < 0)
        {
            return ("1", point + 1);
        }

        chars[i]++;
        return (new string(chars, 0, i + 1), point);
    }

    private static (string Digits, long Point) Trim(string digits, long point) => (digits.TrimEnd('0'), point);

    // Exact decimal expansion of magnitude * 2^exponent2 as 0.digits * 10^point.
    private static (string Digits, long Point) ToDecimal(BigInteger magnitude, long exponent2)
    {
        if (magnitude.IsZero)
        {
            return (string.Empty, 0);
        }

        string s;
        long point;
        if (exponent2 >= 0)
        {
            s = (magnitude << (int)exponent2).ToString(CultureInfo.InvariantCulture);
            point = s.Length;
        }
        else
        {
            s = (magnitude * BigInteger.Pow(5, (int)-exponent2)).ToString(CultureInfo.InvariantCulture);
            point = s.Length + exponent2;
        }

        return (s.TrimEnd('0'), point);
    }

    private static long BitLength(BigInteger value) => value.IsZero ? 0 : (long)value.GetBitLength();

    private static int TrailingZeros(BigInteger value)
    {
        var n = 0;
        while (value.IsEven)
        {
            value >>= 1;
            n++;
        }

        return n;
    }
}
