using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Go's strconv.FormatFloat for the 'e', 'E', 'f', 'F', 'g' and 'G' formats. Rounding is done on the exact
/// binary value, half to even, as Go does (.NET's "F2" rounds ties away from zero, so it is not used).
/// </summary>
internal static class SprintfFloat
{
    /// <summary>Formats |v| (the sign is the caller's) with Go's format letter and precision (-1 = shortest).</summary>
    public static string FormatAbs(double v, char fmt, int prec)
    {
        v = Math.Abs(v);
        if (double.IsInfinity(v))
        {
            return "Inf";
        }

        if (double.IsNaN(v))
        {
            return "NaN";
        }

        if (fmt is 'x' or 'X' or 'b')
        {
            return fmt == 'b' ? FormatBinary(v) : FormatHex(v, fmt);
        }

        var shortest = prec < 0;
        Digits d;
        if (shortest)
        {
            d = ShortestDigits(v);
            prec = fmt switch
            {
                'e' or 'E' => d.Count - 1,
                'f' or 'F' => Math.Max(d.Count - d.Dp, 0),
                _ => d.Count,
            };
        }
        else
        {
            d = ExactDigits(v);
            switch (fmt)
            {
                case 'e':
                case 'E':
                    d = d.Round(1 + prec);
                    break;
                case 'f':
                case 'F':
                    d = d.Round(d.Dp + prec);
                    break;
                default:
                    if (prec == 0)
                    {
                        prec = 1;
                    }

                    d = d.Round(prec);
                    break;
            }
        }

        switch (fmt)
        {
            case 'e':
            case 'E':
                return FormatE(d, prec, fmt);
            case 'f':
            case 'F':
                return FormatF(d, prec);
            default:
                {
                    var eprec = prec;
                    if (eprec > d.Count && d.Count >= d.Dp)
                    {
                        eprec = d.Count;
                    }

                    if (shortest)
                    {
                        eprec = 6;
                    }

                    var exp = d.Dp - 1;
                    if (exp < -4 || exp >= eprec)
                    {
                        if (prec > d.Count)
                        {
                            prec = d.Count;
                        }

                        return FormatE(d, prec - 1, fmt == 'G' ? 'E' : 'e');
                    }

                    if (prec > d.Dp)
                    {
                        prec = d.Count;
                    }

                    return FormatF(d, Math.Max(prec - d.Dp, 0));
                }
        }
    }

    private static (ulong Mantissa, int Exponent) Decompose(double v)
    {
        var bits = BitConverter.DoubleToInt64Bits(v);
        var exp = (int)((bits >> 52) & 0x7FF);
        var mant = (ulong)(bits & 0xFFFFFFFFFFFFFL);
        if (exp == 0)
        {
            exp++;
        }
        else
        {
            mant |= 1UL << 52;
        }

        return (mant, exp - 1023);
    }

    /// <summary>Go's %b of a float: decimal mantissa and binary exponent, e.g. 4503599627370496p-52.</summary>
    private static string FormatBinary(double v)
    {
        var (mant, exp) = Decompose(v);
        exp -= 52;
        return mant.ToString(CultureInfo.InvariantCulture) + "p" + (exp >= 0 ? "+" : string.Empty) + exp.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Go's %x of a float with the shortest precision, e.g. 0x1.8p+00.</summary>
    private static string FormatHex(double v, char fmt)
    {
        var (mant, exp) = Decompose(v);
        if (mant == 0)
        {
            exp = 0;
        }

        mant <<= 60 - 52;
        while (mant != 0 && (mant & (1UL << 60)) == 0)
        {
            mant <<= 1;
            exp--;
        }

        var hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        var sb = new StringBuilder("0").Append(fmt).Append((char)('0' + (int)((mant >> 60) & 1)));
        mant <<= 4;
        if (mant != 0)
        {
            sb.Append('.');
            while (mant != 0)
            {
                sb.Append(hex[(int)((mant >> 60) & 15)]);
                mant <<= 4;
            }
        }

        sb.Append(fmt == 'X' ? 'P' : 'p').Append(exp < 0 ? '-' : '+');
        exp = Math.Abs(exp);
        sb.Append(exp.ToString(exp < 100 ? "D2" : exp < 1000 ? "D3" : "D4", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string FormatE(Digits d, int prec, char e)
    {
        var sb = new StringBuilder();
        sb.Append(d.Count == 0 ? '0' : d.Text[0]);
        if (prec > 0)
        {
            sb.Append('.');
            for (var i = 1; i <= prec; i++)
            {
                sb.Append(i < d.Count ? d.Text[i] : '0');
            }
        }

        sb.Append(e);
        var exp = d.Count == 0 ? 0 : d.Dp - 1;
        sb.Append(exp < 0 ? '-' : '+');
        exp = Math.Abs(exp);
        sb.Append(exp < 10 ? "0" + exp.ToString(CultureInfo.InvariantCulture) : exp.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string FormatF(Digits d, int prec)
    {
        var sb = new StringBuilder();
        if (d.Dp > 0)
        {
            for (var i = 0; i < d.Dp; i++)
            {
                sb.Append(i < d.Count ? d.Text[i] : '0');
            }
        }
        else
        {
            sb.Append('0');
        }

        if (prec > 0)
        {
            sb.Append('.');
            for (var i = 1; i <= prec; i++)
            {
                var j = d.Dp + i - 1;
                sb.Append(j >= 0 && j < d.Count ? d.Text[j] : '0');
            }
        }

        return sb.ToString();
    }

    /// <summary>The shortest digits that round-trip, as Go's shortest formatting and .NET's "R" both compute.</summary>
    private static Digits ShortestDigits(double v)
    {
        if (v == 0)
        {
            return new Digits(string.Empty, 0);
        }

        var shortest = v.ToString("R", CultureInfo.InvariantCulture);

        // Normalise "R" output ("123.45", "1E-05", "1.2345E+15") to digits and a decimal point position.
        var ePos = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        var exponent = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        var all = intPart + fracPart;
        var dp = intPart.Length + exponent;
        var lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0')
        {
            lead++;
        }

        return new Digits(all[lead..].TrimEnd('0'), dp - lead);
    }

    /// <summary>All decimal digits of the exact binary value.</summary>
    private static Digits ExactDigits(double v)
    {
        if (v == 0)
        {
            return new Digits(string.Empty, 0);
        }

        var bits = BitConverter.DoubleToInt64Bits(v);
        var rawExponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        int exponent;
        if (rawExponent == 0)
        {
            exponent = -1074;
        }
        else
        {
            mantissa |= 1L << 52;
            exponent = rawExponent - 1075;
        }

        string text;
        int dp;
        if (exponent >= 0)
        {
            text = (new BigInteger(mantissa) << exponent).ToString(CultureInfo.InvariantCulture);
            dp = text.Length;
        }
        else
        {
            text = (new BigInteger(mantissa) * BigInteger.Pow(5, -exponent)).ToString(CultureInfo.InvariantCulture);
            dp = text.Length + exponent;
        }

        return new Digits(text.TrimEnd('0'), dp);
    }

    /// <summary>Decimal digits (no leading or trailing zeros) and the decimal point position: value = 0.Text × 10^Dp.</summary>
    private readonly record struct Digits(string Text, int Dp)
    {
        public int Count => Text.Length;

        /// <summary>Rounds to <paramref name="nd"/> digits, half to even (Go's decimal.Round).</summary>
        public Digits Round(int nd)
        {
            if (nd < 0 || nd >= Count)
            {
                return this;
            }

            var up = Text[nd] > '5' || (Text[nd] == '5' && (nd + 1 < Count || (nd > 0 && (Text[nd - 1] - '0') % 2 == 1)));
            if (!up)
            {
                var kept = Text[..nd].TrimEnd('0');
                return kept.Length == 0 ? new Digits(string.Empty, 0) : new Digits(kept, Dp);
            }

            var chars = Text[..nd].ToCharArray();
            var i = nd - 1;
            while (i >= 0 && chars[i] == '9')
            {
                i--;
            }

            if (i < 0)
            {
                return new Digits("1", Dp + 1);
            }

            chars[i]++;
            return new Digits(new string(chars, 0, i + 1), Dp);
        }
    }
}
