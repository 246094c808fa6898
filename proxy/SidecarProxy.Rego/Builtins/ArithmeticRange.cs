using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>numbers.range and numbers.range_step: inclusive integer ranges, ascending or descending.</summary>
internal static class ArithmeticRange
{
    // Checked against cancellation this often while building a long range.
    private const int CancellationStride = 4096;

    /// <param name="step">Index of the step operand, or null for a step of 1.</param>
    public static RegoValue Generate(BuiltinContext context, RegoValue[] args, int? step)
    {
        var from = IntegerOperand(args, 0);
        var to = IntegerOperand(args, 1);
        var by = BigInteger.One;
        if (step is int stepIndex)
        {
            by = IntegerOperand(args, stepIndex);
            if (by.Sign <= 0)
            {
                throw new BuiltinErrorException("step must be a positive integer");
            }
        }

        var ascending = from <= to;
        var items = new List<RegoValue>();
        for (var i = from; ascending ? i <= to : i >= to; i = ascending ? i + by : i - by)
        {
            if (items.Count % CancellationStride == 0)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
            }

            items.Add(RegoNumber.FromInteger(i));
        }

        return new RegoArray(items.ToArray());
    }

    // OPA's BigIntOperand: "integer" for a non-number, "integer number" for a fraction.
    private static BigInteger IntegerOperand(RegoValue[] args, int index)
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
