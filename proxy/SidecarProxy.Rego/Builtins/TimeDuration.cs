namespace SidecarProxy.Rego.Builtins;

/// <summary>Go's time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+" with units ns, us (µs, μs), ms, s, m, h.</summary>
internal static class TimeDuration
{
    private const ulong MaxMagnitude = 1UL << 63;

    public static long Parse(string s)
    {
        var original = s;
        var negative = false;
        var i = 0;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            negative = s[i] == '-';
            i++;
        }

        if (s[i..] == "0")
        {
            return 0;
        }

        if (i >= s.Length)
        {
            throw Invalid(original);
        }

        ulong total = 0;
        while (i < s.Length)
        {
            if (!(s[i] == '.' || char.IsAsciiDigit(s[i])))
            {
                throw Invalid(original);
            }

            // The integer part.
            var start = i;
            ulong whole = 0;
            var overflow = false;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                if (whole > (MaxMagnitude - 1) / 10)
                {
                    overflow = true;
                }

                whole = (whole * 10) + (ulong)(s[i] - '0');
                if (whole > MaxMagnitude)
                {
                    overflow = true;
                }

                i++;
            }

            if (overflow)
            {
                throw Invalid(original);
            }

            var hadWhole = i > start;

            // The fraction: digits beyond what fits are dropped, as Go does.
            ulong fraction = 0;
            double scale = 1;
            var hadFraction = false;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                var fracStart = i;
                var dropping = false;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    if (!dropping && fraction <= (ulong.MaxValue - 9) / 10 / 10)
                    {
                        fraction = (fraction * 10) + (ulong)(s[i] - '0');
                        scale *= 10;
                    }
                    else
                    {
                        dropping = true;
                    }

                    i++;
                }

                hadFraction = i > fracStart;
            }

            if (!hadWhole && !hadFraction)
            {
                throw Invalid(original);
            }

            var unitStart = i;
            while (i < s.Length && s[i] != '.' && !char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (unitStart == i)
            {
                throw new BuiltinErrorException($"time: missing unit in duration \"{original}\"");
            }

            var unitText = s[unitStart..i];
            ulong unit = unitText switch
            {
                "ns" => 1,
                "us" or "\u00B5s" or "\u03BCs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => throw new BuiltinErrorException($"time: unknown unit \"{unitText}\" in duration \"{original}\""),
            };

            if (whole > MaxMagnitude / unit)
            {
                throw Invalid(original);
            }

            whole *= unit;
            if (fraction > 0)
            {
                whole += (ulong)(fraction * (unit / scale));
                if (whole > MaxMagnitude)
                {
                    throw Invalid(original);
                }
            }

            total += whole;
            if (total > MaxMagnitude)
            {
                throw Invalid(original);
            }
        }

        if (negative)
        {
            return total == MaxMagnitude ? long.MinValue : -(long)total;
        }

        return total > long.MaxValue ? throw Invalid(original) : (long)total;
    }

    private static BuiltinErrorException Invalid(string s) => new($"time: invalid duration \"{s}\"");
}
