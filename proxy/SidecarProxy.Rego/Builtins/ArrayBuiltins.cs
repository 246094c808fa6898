using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>array.concat, array.flatten, array.slice, array.reverse (OPA's v1/topdown/array.go).</summary>
internal static class ArrayBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("array.concat", 2, Concat);
        registry.Add("array.flatten", 1, Flatten);
        registry.Add("array.slice", 3, Slice);
        registry.Add("array.reverse", 1, Reverse);
    }

    private static RegoValue Concat(BuiltinContext context, RegoValue[] args)
    {
        var a = Operands.Array(args, 0);
        var b = Operands.Array(args, 1);
        if (b.Count == 0)
        {
            return a;
        }

        if (a.Count == 0)
        {
            return b;
        }

        var items = new RegoValue[a.Count + b.Count];
        a.Items.CopyTo(items);
        b.Items.CopyTo(items.AsSpan(a.Count));
        return new RegoArray(items);
    }

    // One level only: array items are spliced in, any other item is kept as it is (OPA 1.13).
    private static RegoValue Flatten(BuiltinContext context, RegoValue[] args)
    {
        var array = Operands.Array(args, 0);
        var items = new List<RegoValue>(array.Count);
        foreach (var item in array.Items)
        {
            if (item is RegoArray inner)
            {
                items.AddRange(inner.AsList());
            }
            else
            {
                items.Add(item);
            }
        }

        return new RegoArray(items.ToArray());
    }

    // Indices are clamped, never an error: stop to [0, len], start to [0, stop].
    private static RegoValue Slice(BuiltinContext context, RegoValue[] args)
    {
        var array = Operands.Array(args, 0);
        var start = IndexOperand(args, 1);
        var stop = IndexOperand(args, 2);
        stop = Math.Clamp(stop, 0, array.Count);
        start = Math.Clamp(start, 0, stop);
        return new RegoArray(array.Items[(int)start..(int)stop].ToArray());
    }

    private static RegoValue Reverse(BuiltinContext context, RegoValue[] args)
    {
        var array = Operands.Array(args, 0);
        var items = array.Items.ToArray();
        Array.Reverse(items);
        return new RegoArray(items);
    }

    // OPA's IntOperand takes any machine int; indices beyond int range clamp like any other out-of-range index.
    private static long IndexOperand(RegoValue[] args, int index)
    {
        var n = Operands.Number(args, index);
        if (!n.IsInteger)
        {
            throw new BuiltinTypeException($"operand {index + 1} must be integer number but got floating-point number");
        }

        var i = n.Integer;
        return i > long.MaxValue ? long.MaxValue : i < long.MinValue ? long.MinValue : (long)i;
    }
}
