using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Numbers: plus, minus (also set difference), mul, div, rem, abs, round, ceil, floor, numbers.range,
/// numbers.range_step; and the set operators <c>&amp;</c> (and) and <c>|</c> (or). Semantics and messages follow
/// OPA's v1/topdown/arithmetic.go, binary.go and numbers.go.
/// </summary>
internal static class ArithmeticBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("plus", 2, (_, a) => Checked(() => RegoNumberMath.Add(Operands.Number(a, 0), Operands.Number(a, 1))));
        registry.Add("minus", 2, Minus);
        registry.Add("mul", 2, (_, a) => Checked(() => RegoNumberMath.Multiply(Operands.Number(a, 0), Operands.Number(a, 1))));
        registry.Add("div", 2, Divide);
        registry.Add("rem", 2, Remainder);
        registry.Add("abs", 1, (_, a) => Checked(() => RegoNumberMath.Abs(Operands.Number(a, 0))));
        registry.Add("round", 1, (_, a) => Checked(() => RegoNumberMath.Round(Operands.Number(a, 0))));
        registry.Add("ceil", 1, (_, a) => Checked(() => RegoNumberMath.Ceil(Operands.Number(a, 0))));
        registry.Add("floor", 1, (_, a) => Checked(() => RegoNumberMath.Floor(Operands.Number(a, 0))));
        registry.Add("and", 2, (_, a) => Operands.Set(a, 0).Intersect(Operands.Set(a, 1)));
        registry.Add("or", 2, (_, a) => Operands.Set(a, 0).Union(Operands.Set(a, 1)));
        registry.Add("numbers.range", 2, (ctx, a) => ArithmeticRange.Generate(ctx, a, step: null));
        registry.Add("numbers.range_step", 3, (ctx, a) => ArithmeticRange.Generate(ctx, a, step: 2));
    }

    private static RegoValue Minus(BuiltinContext context, RegoValue[] args)
    {
        switch (args[0], args[1])
        {
            case (RegoNumber x, RegoNumber y):
                return Checked(() => RegoNumberMath.Subtract(x, y));
            case (RegoSet x, RegoSet y):
                return x.Except(y);
            case (RegoSet, RegoNumber):
                throw Operands.TypeError(args, 1, "set");
            case (RegoNumber or RegoSet, _):
                // OPA names "number" here even when the left operand is a set.
                throw Operands.TypeError(args, 1, "number");
            default:
                throw Operands.TypeError(args, 0, "one of {number, set}");
        }
    }

    private static RegoValue Divide(BuiltinContext context, RegoValue[] args)
    {
        var x = Operands.Number(args, 0);
        var y = Operands.Number(args, 1);
        if (RegoNumberMath.IsZero(y))
        {
            throw new BuiltinErrorException("divide by zero");
        }

        return Checked(() => RegoNumberMath.Divide(x, y));
    }

    private static RegoValue Remainder(BuiltinContext context, RegoValue[] args)
    {
        var x = Operands.Number(args, 0);
        var y = Operands.Number(args, 1);
        if (!RegoNumberMath.CanRemainder(x, y))
        {
            throw new BuiltinErrorException("modulo on floating-point number");
        }

        if (RegoNumberMath.IsZero(y))
        {
            throw new BuiltinErrorException("modulo by zero");
        }

        return RegoNumberMath.Remainder(x, y);
    }

    // A result beyond what a Rego number holds (an exponent past the parser's range) is a builtin error, not a crash.
    private static RegoNumber Checked(Func<RegoNumber> compute)
    {
        try
        {
            return compute();
        }
        catch (OverflowException ex)
        {
            throw new BuiltinErrorException("number out of range", ex);
        }
    }
}
