using System.Numerics;
using CsCheck;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

/// <summary>Properties of the 64-bit binary float OPA computes fractions in.</summary>
public sealed class ArithmeticFloatPropertyTests
{
    private static readonly Gen<double> Fractions = Gen.Double[-1e12, 1e12].Where(d => d != Math.Floor(d));

    [Fact]
    public void Double_RoundTripsThroughShortestDecimal()
    {
        // A double has 53 significant bits, so it is exact at 64 bits; the shortest decimal that reads back
        // to it at 64 bits must also read back to the same double.
        Fractions.Sample(d =>
        {
            var n = RegoNumber.FromDouble(d);
            var back = RegoNumberMathFloat.From(n).ToRegoNumber();
            Assert.Equal(n, back);
        }, iter: 2000);
    }

    [Fact]
    public void IntegerArithmetic_IsExact()
    {
        Gen.Select(Gen.Long, Gen.Long).Sample((a, b) =>
        {
            var x = RegoNumber.FromLong(a);
            var y = RegoNumber.FromLong(b);
            Assert.Equal(RegoNumber.FromInteger(new BigInteger(a) + b), RegoNumberMath.Add(x, y));
            Assert.Equal(RegoNumber.FromInteger(new BigInteger(a) - b), RegoNumberMath.Subtract(x, y));
            Assert.Equal(RegoNumber.FromInteger(new BigInteger(a) * b), RegoNumberMath.Multiply(x, y));
        }, iter: 2000);
    }

    [Fact]
    public void Sum_IsCloseToDoubleSum()
    {
        // The operands are read from their decimal text at 64 bits, so the result may differ from the double
        // sum by the doubles' own representation error, which is relative to the operands, not the sum.
        Gen.Select(Fractions, Fractions).Sample((a, b) =>
        {
            var r = RegoNumberMath.Add(RegoNumber.FromDouble(a), RegoNumber.FromDouble(b)).Double;
            var expected = a + b;
            Assert.True(Math.Abs(r - expected) <= Math.Max(Math.Abs(a), Math.Abs(b)) * 1e-15, $"{a} + {b}: {r} vs {expected}");
        }, iter: 2000);
    }

    [Fact]
    public void Quotient_OfIntegers_IsWithinOneDoubleUlp()
    {
        Gen.Select(Gen.Int[-1_000_000, 1_000_000], Gen.Int[1, 1_000_000]).Sample((a, b) =>
        {
            var q = RegoNumberMath.Divide(RegoNumber.FromLong(a), RegoNumber.FromLong(b));
            // Rounded at 64 bits, printed, then read as a double: a second rounding can move it by one ulp.
            var expected = (double)a / b;
            Assert.True(q.Double == expected || q.Double == Math.BitIncrement(expected) || q.Double == Math.BitDecrement(expected), $"{a} / {b}: {q.Double} vs {expected}");
        }, iter: 2000);
    }
}
