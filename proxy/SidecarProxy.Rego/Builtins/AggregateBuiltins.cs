using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>count, sum, product, max, min, sort (OPA's v1/topdown/aggregates.go).</summary>
internal static class AggregateBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("count", 1, Count);
        registry.Add("sum", 1, (_, a) => Accumulate(a, BigInteger.Zero, static (x, y) => x + y, static (x, y) => x + y));
        registry.Add("product", 1, (_, a) => Accumulate(a, BigInteger.One, static (x, y) => x * y, static (x, y) => x * y));
        registry.Add("max", 1, (_, a) => Extreme(a, wantMax: true));
        registry.Add("min", 1, (_, a) => Extreme(a, wantMax: false));
        registry.Add("sort", 1, Sort);
    }

    private static RegoValue Count(BuiltinContext context, RegoValue[] args) => args[0] switch
    {
        RegoArray a => RegoNumber.FromLong(a.Count),
        RegoObject o => RegoNumber.FromLong(o.Count),
        RegoSet s => RegoNumber.FromLong(s.Count),

        // Go counts runes; an unpaired surrogate counts as one, as Go counts an invalid byte as one.
        RegoString s => RegoNumber.FromLong(CountRunes(s.Value)),
        _ => throw Operands.TypeError(args, 0, "one of {array, object, set, string}"),
    };

    private static int CountRunes(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            n++;
        }

        return n;
    }

    // Exact on integers; as soon as one element is not an integer, the whole fold runs in OPA's
    // 64-bit binary floating point (every element converted, rounded after each step).
    private static RegoNumber Accumulate(
        RegoValue[] args,
        BigInteger seed,
        Func<BigInteger, BigInteger, BigInteger> exact,
        Func<RegoNumberMathFloat, RegoNumberMathFloat, RegoNumberMathFloat> inexact)
    {
        var items = Elements(args);
        var allIntegers = true;
        foreach (var item in items)
        {
            if (item is not RegoNumber { IsInteger: true })
            {
                allIntegers = false;
                break;
            }
        }

        if (allIntegers)
        {
            var acc = seed;
            foreach (var item in items)
            {
                acc = exact(acc, ((RegoNumber)item).Integer);
            }

            return RegoNumber.FromInteger(acc);
        }

        var f = RegoNumberMathFloat.FromInteger(seed);
        foreach (var item in items)
        {
            if (item is not RegoNumber n)
            {
                throw new BuiltinTypeException($"operand 1 must be {args[0].TypeName} of numbers but got {args[0].TypeName} containing {item.TypeName}");
            }

            f = inexact(f, RegoNumberMathFloat.From(n));
        }

        try
        {
            return f.ToRegoNumber();
        }
        catch (OverflowException ex)
        {
            throw new BuiltinErrorException("number out of range", ex);
        }
    }

    private static RegoValue? Extreme(RegoValue[] args, bool wantMax)
    {
        var items = Elements(args);
        if (items.Length == 0)
        {
            return null;
        }

        var best = items[0];
        foreach (var item in items[1..])
        {
            var c = item.CompareTo(best);
            if (wantMax ? c >= 0 : c <= 0)
            {
                best = item;
            }
        }

        return best;
    }

    private static RegoValue Sort(BuiltinContext context, RegoValue[] args)
    {
        switch (args[0])
        {
            case RegoArray a:
                {
                    var copy = a.Items.ToArray();
                    Array.Sort(copy, static (x, y) => x.CompareTo(y));
                    return new RegoArray(copy);
                }

            case RegoSet s:
                return new RegoArray(s.Items.ToArray());
            default:
                throw Operands.TypeError(args, 0, "one of {set, array}");
        }
    }

    private static ReadOnlySpan<RegoValue> Elements(RegoValue[] args) => args[0] switch
    {
        RegoArray a => a.Items,
        RegoSet s => s.Items,
        _ => throw Operands.TypeError(args, 0, "one of {set, array}"),
    };
}
