using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// A Rego number. Integral values (including <c>1.0</c> and <c>1e3</c>) are kept exactly as
/// arbitrary-precision integers, as OPA keeps JSON numbers exactly; other values are doubles.
/// So <c>1 == 1.0</c> and integer results print as integers.
/// </summary>
public sealed class RegoNumber : RegoValue
{
    private static readonly RegoNumber[] SmallIntegers = CreateSmallIntegers();

    private readonly BigInteger _integer;
    private readonly double _double;

    private RegoNumber(BigInteger integer)
    {
        IsInteger = true;
        _integer = integer;
        _double = (double)integer;
    }

    private RegoNumber(double value)
    {
        IsInteger = false;
        _double = value;
    }

    public static RegoNumber Zero => SmallIntegers[0];

    public static RegoNumber One => SmallIntegers[1];

    public override RegoKind Kind => RegoKind.Number;

    /// <summary>True when the value is integral; <see cref="Integer"/> then holds it exactly.</summary>
    public bool IsInteger { get; }

    /// <summary>The exact value when <see cref="IsInteger"/>; otherwise the value truncated.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Rego's own name for an integral number; the counterpart of IsInteger.")]
    public BigInteger Integer => IsInteger ? _integer : new BigInteger(Math.Truncate(_double));

    /// <summary>The value as a double (may round big integers).</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The number as OPA's 64-bit binary floating point (a double); the name says which representation it is.")]
    public double Double => _double;

    public static RegoNumber FromLong(long value) =>
        value >= 0 && value < SmallIntegers.Length ? SmallIntegers[value] : new RegoNumber(new BigInteger(value));

    public static RegoNumber FromInteger(BigInteger value) =>
        value.Sign >= 0 && value < SmallIntegers.Length ? SmallIntegers[(int)value] : new RegoNumber(value);

    /// <summary>From a double; integral doubles become exact integers. NaN and infinities are rejected.</summary>
    public static RegoNumber FromDouble(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Rego numbers are finite.");
        }

        if (value == Math.Floor(value) && Math.Abs(value) < 1e300)
        {
            return FromInteger(new BigInteger(value));
        }

        return new RegoNumber(value);
    }

    public static RegoNumber FromDecimal(decimal value) =>
        decimal.Truncate(value) == value ? FromInteger(new BigInteger(value)) : new RegoNumber((double)value);

    /// <summary>Parses a JSON/Rego number literal exactly (big integers and exponents kept exact when integral).</summary>
    public static bool TryParse(string text, out RegoNumber number)
    {
        number = Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            number = FromInteger(integer);
            return true;
        }

        // Split into sign, digits, fraction and exponent so that e.g. 1.5e3 or 2e40 stays exact.
        var s = text.AsSpan();
        var negative = false;
        if (s[0] == '-' || s[0] == '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        var ePos = s.IndexOfAny('e', 'E');
        var mantissa = ePos >= 0 ? s[..ePos] : s;
        var exponent = 0;
        if (ePos >= 0 && !int.TryParse(s[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
        {
            return false;
        }

        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : ReadOnlySpan<char>.Empty;
        if (intPart.IsEmpty && fracPart.IsEmpty)
        {
            return false;
        }

        foreach (var c in intPart)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        foreach (var c in fracPart)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var trimmedFrac = fracPart.TrimEnd('0');
        var scale = trimmedFrac.Length - exponent; // value = digits * 10^-scale
        if (scale <= 0 && -scale < 10000)
        {
            var digits = BigInteger.Parse(string.Concat(intPart.Length == 0 ? "0" : intPart, trimmedFrac), CultureInfo.InvariantCulture);
            var value = digits * BigInteger.Pow(10, -scale);
            number = FromInteger(negative ? -value : value);
            return true;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsInfinity(d) || double.IsNaN(d))
        {
            return false;
        }

        number = FromDouble(d);
        return true;
    }

    public static RegoNumber Parse(string text) =>
        TryParse(text, out var n) ? n : throw new FormatException($"'{text}' is not a number.");

    /// <summary>The value as an int when it is an integer in range.</summary>
    public bool TryGetInt32(out int value)
    {
        if (IsInteger && _integer >= int.MinValue && _integer <= int.MaxValue)
        {
            value = (int)_integer;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>The value as a long when it is an integer in range.</summary>
    public bool TryGetInt64(out long value)
    {
        if (IsInteger && _integer >= long.MinValue && _integer <= long.MaxValue)
        {
            value = (long)_integer;
            return true;
        }

        value = 0;
        return false;
    }

    private protected override int CompareSameKind(RegoValue other)
    {
        var o = (RegoNumber)other;
        if (IsInteger && o.IsInteger)
        {
            return _integer.CompareTo(o._integer);
        }

        var c = _double.CompareTo(o._double);
        if (c != 0 || (!IsInteger && !o.IsInteger))
        {
            return c;
        }

        // Equal as doubles but one side is an exact integer that may have rounded: compare exactly.
        var i = IsInteger ? _integer : o._integer;
        var d = IsInteger ? o._double : _double;
        var floor = new BigInteger(Math.Floor(d));
        var cmp = i.CompareTo(floor);
        if (cmp == 0)
        {
            cmp = -1; // d has a fraction, so d > floor(d) == i
        }

        return IsInteger ? cmp : -cmp;
    }

    public override int GetHashCode() => IsInteger ? _integer.GetHashCode() : _double.GetHashCode();

    public override void WriteRego(StringBuilder sb) => sb.Append(ToNumberString());

    /// <summary>The number as OPA prints it: integers in full, other values in shortest round-trip form.</summary>
    public string ToNumberString()
    {
        if (IsInteger)
        {
            return _integer.ToString(CultureInfo.InvariantCulture);
        }

        var r = _double.ToString("R", CultureInfo.InvariantCulture);
        return r.Contains('E', StringComparison.Ordinal) ? FormatExponent(r) : r;
    }

    private static string FormatExponent(string r)
    {
        // .NET writes 1E-07; JSON and OPA write 1e-07.
        return r.Replace("E", "e", StringComparison.Ordinal);
    }

    private static RegoNumber[] CreateSmallIntegers()
    {
        var values = new RegoNumber[256];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new RegoNumber(new BigInteger(i));
        }

        return values;
    }
}
