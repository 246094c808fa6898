using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>units.parse and units.parse_bytes (OPA's v1/topdown/parse_units.go and parse_bytes.go).</summary>
internal static class UnitsBuiltins
{
    private static readonly BigInteger Kilo = 1000;
    private static readonly BigInteger Kibi = 1024;

    // OPA accepts exponents of up to 6 digits, which makes numbers of a million digits that take seconds to
    // build and print. A proxy must not let a request stall it, so amounts beyond 10^±4000 are cut short:
    // tiny ones are 0 (as OPA's result would be), huge ones an error.
    private const long MaxMagnitude = 4000;

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("units.parse", 1, Parse);
        registry.Add("units.parse_bytes", 1, ParseBytes);
    }

    // Decimal and binary SI units; the first letter keeps its case so "m" (milli) differs from "M" (mega).
    // Computed with exact rationals; a fraction is printed with 10 decimals, as OPA does.
    private static RegoValue Parse(BuiltinContext context, RegoValue[] args)
    {
        var s = Operands.String(args, 0).Replace("\"", string.Empty, StringComparison.Ordinal);
        if (s.Contains(' ', StringComparison.Ordinal))
        {
            throw new BuiltinErrorException("spaces not allowed in resource strings");
        }

        if (!UnitsText.TrySplit(s, out var num, out var unit))
        {
            throw new BuiltinErrorException("exponent too large");
        }

        if (num.Length == 0)
        {
            throw new BuiltinErrorException("no amount provided");
        }

        if (unit.Length > 1)
        {
            unit = string.Concat(unit.AsSpan(0, 1), unit[1..].ToLowerInvariant());
        }

        // Multiplier as numerator / denominator.
        (BigInteger Num, BigInteger Den) multiplier = unit switch
        {
            "m" => (1, 1000),
            "" => (1, 1),
            "k" or "K" => (Kilo, 1),
            "ki" or "Ki" => (Kibi, 1),
            "M" => (BigInteger.Pow(Kilo, 2), 1),
            "mi" or "Mi" => (BigInteger.Pow(Kibi, 2), 1),
            "g" or "G" => (BigInteger.Pow(Kilo, 3), 1),
            "gi" or "Gi" => (BigInteger.Pow(Kibi, 3), 1),
            "t" or "T" => (BigInteger.Pow(Kilo, 4), 1),
            "ti" or "Ti" => (BigInteger.Pow(Kibi, 4), 1),
            "p" or "P" => (BigInteger.Pow(Kilo, 5), 1),
            "pi" or "Pi" => (BigInteger.Pow(Kibi, 5), 1),
            "e" or "E" => (BigInteger.Pow(Kilo, 6), 1),
            "ei" or "Ei" => (BigInteger.Pow(Kibi, 6), 1),
            _ => throw new BuiltinErrorException($"unit {unit} not recognized"),
        };

        if (!RegoNumberMathFloat.TryParseDecimal(num, out var digits, out var exponent10))
        {
            throw new BuiltinErrorException("could not parse amount to a number");
        }

        switch (UnitsText.Magnitude(digits, exponent10))
        {
            case < -MaxMagnitude:
                // Far below the 10 decimals kept: OPA prints 0.0000000000.
                return RegoNumber.Zero;
            case > MaxMagnitude:
                throw new BuiltinErrorException("exponent too large");
        }

        var numerator = digits * multiplier.Num;
        var denominator = multiplier.Den;
        if (exponent10 >= 0)
        {
            numerator *= BigInteger.Pow(10, checked((int)exponent10));
        }
        else
        {
            denominator *= BigInteger.Pow(10, checked((int)-exponent10));
        }

        var whole = BigInteger.DivRem(numerator, denominator, out var remainder);
        if (remainder.IsZero)
        {
            return RegoNumber.FromInteger(whole);
        }

        return RegoNumber.Parse(UnitsText.FixedPoint(numerator, denominator, 10));
    }

    // Byte units, case-insensitive; the amount is a 64-bit binary float (as OPA's big.Float) truncated to an integer.
    private static RegoValue ParseBytes(BuiltinContext context, RegoValue[] args)
    {
        var s = Operands.String(args, 0).ToLowerInvariant().Replace("\"", string.Empty, StringComparison.Ordinal);
        if (s.Contains(' ', StringComparison.Ordinal))
        {
            throw new BuiltinErrorException("spaces not allowed in resource strings");
        }

        if (!UnitsText.TrySplit(s, out var num, out var unit))
        {
            throw new BuiltinErrorException("exponent too large");
        }

        if (num.Length == 0)
        {
            throw new BuiltinErrorException("no byte amount provided");
        }

        var multiplier = unit switch
        {
            "" => BigInteger.One,
            "kb" or "k" => Kilo,
            "kib" or "ki" => Kibi,
            "mb" or "m" => BigInteger.Pow(Kilo, 2),
            "mib" or "mi" => BigInteger.Pow(Kibi, 2),
            "gb" or "g" => BigInteger.Pow(Kilo, 3),
            "gib" or "gi" => BigInteger.Pow(Kibi, 3),
            "tb" or "t" => BigInteger.Pow(Kilo, 4),
            "tib" or "ti" => BigInteger.Pow(Kibi, 4),
            "pb" or "p" => BigInteger.Pow(Kilo, 5),
            "pib" or "pi" => BigInteger.Pow(Kibi, 5),
            "eb" or "e" => BigInteger.Pow(Kilo, 6),
            "eib" or "ei" => BigInteger.Pow(Kibi, 6),
            _ => throw new BuiltinErrorException($"byte unit {unit} not recognized"),
        };

        if (!RegoNumberMathFloat.TryParseDecimal(num, out var digits, out var exponent10))
        {
            throw new BuiltinErrorException("could not parse byte amount to a number");
        }

        switch (UnitsText.Magnitude(digits, exponent10))
        {
            case < -MaxMagnitude:
                // Below one byte whatever the unit: truncates to 0.
                return RegoNumber.Zero;
            case > MaxMagnitude:
                throw new BuiltinErrorException("exponent too large");
        }

        var amount = RegoNumberMathFloat.FromDecimal(digits, exponent10);
        var total = (amount * RegoNumberMathFloat.FromInteger(multiplier)).Truncate();
        return RegoNumber.FromInteger(total);
    }

}
