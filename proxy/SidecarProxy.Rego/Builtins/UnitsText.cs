using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>Text helpers for the units builtins: splitting "10.5Mi" into amount and unit, and fixed-point output.</summary>
internal static class UnitsText
{
    // OPA rejects scientific notation with more exponent digits than this.
    private const int MaxExponentDigits = 6;

    /// <summary>
    /// Splits at the first character that cannot continue a number (digits, '.', signs, and an 'e'/'E'
    /// followed by a digit or sign). False when an exponent has too many digits.
    /// </summary>
    public static bool TrySplit(string s, out string num, out string unit)
    {
        var boundary = -1;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (!IsDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-')
            {
                boundary = i;
                break;
            }

            if (c is 'e' or 'E')
            {
                if (i == s.Length - 1 || (!IsDigit(s[i + 1]) && s[i + 1] != '+' && s[i + 1] != '-'))
                {
                    boundary = i;
                    break;
                }

                if (s[i + 1] is '+' or '-')
                {
                    i++;
                }

                var end = i + 1;
                while (end < s.Length && IsDigit(s[end]))
                {
                    end++;
                }

                if (end - (i + 1) > MaxExponentDigits)
                {
                    num = unit = string.Empty;
                    return false;
                }
            }
        }

        (num, unit) = boundary switch
        {
            -1 => (s, string.Empty),
            0 => (string.Empty, s),
            _ => (s[..boundary], s[boundary..]),
        };
        return true;
    }

    /// <summary>numerator/denominator with exactly <paramref name="decimals"/> decimals, the last rounded half away from zero (Go's Rat.FloatString).</summary>
    public static string FixedPoint(BigInteger numerator, BigInteger denominator, int decimals)
    {
        var negative = numerator.Sign < 0 != denominator.Sign < 0;
        var n = BigInteger.Abs(numerator);
        var d = BigInteger.Abs(denominator);
        var scale = BigInteger.Pow(10, decimals);
        var scaled = BigInteger.DivRem(n * scale, d, out var r);
        if (r * 2 >= d)
        {
            scaled += 1;
        }

        var whole = BigInteger.DivRem(scaled, scale, out var frac);
        var sb = new StringBuilder();
        if (negative && !scaled.IsZero)
        {
            sb.Append('-');
        }

        sb.Append(whole.ToString(CultureInfo.InvariantCulture)).Append('.');
        sb.Append(frac.ToString(CultureInfo.InvariantCulture).PadLeft(decimals, '0'));
        return sb.ToString();
    }

    /// <summary>Roughly log10 of |digits * 10^exponent10| (the position of the leading digit); 0 for zero.</summary>
    public static long Magnitude(BigInteger digits, long exponent10) =>
        digits.IsZero ? 0 : BigInteger.Abs(digits).ToString(CultureInfo.InvariantCulture).Length + exponent10;

    private static bool IsDigit(char c) => c is >= '0' and <= '9';
}
