using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>bits.and, bits.or, bits.xor, bits.negate, bits.lsh, bits.rsh on arbitrary-size integers (two's complement semantics, as Go's big.Int).</summary>
internal static class BitsBuiltins
{
    // A left shift past this many bits would build a number of megabytes; refuse rather than exhaust memory.
    private const int MaxShiftBits = 1 << 18;

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("bits.and", 2, (_, a) => RegoNumber.FromInteger(Integer(a, 0) & Integer(a, 1)));
        registry.Add("bits.or", 2, (_, a) => RegoNumber.FromInteger(Integer(a, 0) | Integer(a, 1)));
        registry.Add("bits.xor", 2, (_, a) => RegoNumber.FromInteger(Integer(a, 0) ^ Integer(a, 1)));
        registry.Add("bits.negate", 1, (_, a) => RegoNumber.FromInteger(-Integer(a, 0) - 1));
        registry.Add("bits.lsh", 2, ShiftLeft);
        registry.Add("bits.rsh", 2, ShiftRight);
    }

    private static RegoNumber ShiftLeft(BuiltinContext context, RegoValue[] args)
    {
        var x = Integer(args, 0);
        var shift = ShiftCount(args);
        if (x.IsZero)
        {
            return RegoNumber.Zero;
        }

        if (shift > MaxShiftBits)
        {
            throw new BuiltinErrorException($"shift count {shift} is too large");
        }

        return RegoNumber.FromInteger(x << (int)shift);
    }

    private static RegoNumber ShiftRight(BuiltinContext context, RegoValue[] args)
    {
        var x = Integer(args, 0);
        var shift = ShiftCount(args);

        // Arithmetic shift (rounds towards negative infinity), so a shift past the width leaves 0 or -1.
        if (shift >= (long)x.GetBitLength() + 1)
        {
            return x.Sign < 0 ? RegoNumber.FromLong(-1) : RegoNumber.Zero;
        }

        return RegoNumber.FromInteger(x >> (int)shift);
    }

    private static BigInteger ShiftCount(RegoValue[] args)
    {
        var shift = Integer(args, 1);
        if (shift.Sign < 0)
        {
            throw new BuiltinTypeException("operand 2 must be an unsigned integer number but got a negative integer");
        }

        return shift;
    }

    // OPA's BigIntOperand messages.
    private static BigInteger Integer(RegoValue[] args, int index)
    {
        if (args[index] is not RegoNumber n)
        {
            throw Operands.TypeError(args, index, "integer");
        }

        if (!n.IsInteger)
        {
            throw new BuiltinTypeException($"operand {index + 1} must be integer number but got floating-point number");
        }

        return n.Integer;
    }
}
