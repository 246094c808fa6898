using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class ArithmeticBuiltinsTests
{
    [Theory]
    [InlineData("plus", "1", "2", "3")]
    [InlineData("plus", "49649733057", "1", "49649733058")]
    [InlineData("plus", "28857836529306024611913", "1", "28857836529306024611914")]
    [InlineData("plus", "18446744073709551615", "18446744073709551615", "36893488147419103230")]
    [InlineData("minus", "1", "4", "-3")]
    [InlineData("mul", "3", "4", "12")]
    [InlineData("mul", "4294967296", "4294967296", "18446744073709551616")]
    [InlineData("mul", "1.5", "2", "3")]
    [InlineData("div", "6", "3", "2")]
    [InlineData("div", "1", "2", "0.5")]
    [InlineData("div", "-7", "2", "-3.5")]
    [InlineData("div", "36893488147419103230", "2", "18446744073709551615")]
    [InlineData("rem", "7", "4", "3")]
    [InlineData("rem", "-7", "4", "-3")]
    [InlineData("rem", "7", "-4", "3")]
    [InlineData("rem", "10", "18446744073709551616", "10")]
    [InlineData("rem", "7.0", "2", "1")]
    public void Binary_Computes(string name, string x, string y, string expected) => Is(N(expected), name, N(x), N(y));

    [Theory]
    [InlineData("plus", "0.1", "0.2", "0.3")]
    [InlineData("minus", "0.3", "0.1", "0.20000000000000000002")]
    [InlineData("mul", "1.1", "1.1", "1.21")]
    [InlineData("mul", "0.1", "3", "0.3")]
    [InlineData("div", "1", "3", "0.33333333333333333334")]
    [InlineData("plus", "0.5", "0.5", "1")]
    public void Fractions_UseOpasBinaryPrecision(string name, string x, string y, string expected) => Is(N(expected), name, N(x), N(y));

    [Fact]
    public void FractionalResultThatIsIntegral_IsAnExactInteger()
    {
        var r = (RegoNumber)Call("plus", N("0.5"), N("0.5"))!;
        Assert.True(r.IsInteger);
        Assert.Equal("1", r.ToString());
    }

    [Theory]
    [InlineData("div", "1", "0", "divide by zero")]
    [InlineData("div", "1.5", "0.0", "divide by zero")]
    [InlineData("rem", "7", "0", "modulo by zero")]
    [InlineData("rem", "1.1", "1", "modulo on floating-point number")]
    [InlineData("rem", "1", "0.5", "modulo on floating-point number")]
    [InlineData("rem", "1.5", "0", "modulo on floating-point number")]
    public void Binary_BuiltinErrors(string name, string x, string y, string message) => BuiltinError(message, name, N(x), N(y));

    [Fact]
    public void Operands_MustBeNumbers()
    {
        TypeError("operand 1 must be number but got string", "plus", Str("a"), N("1"));
        TypeError("operand 2 must be number but got boolean", "mul", N("1"), RegoBoolean.True);
        TypeError("operand 2 must be number but got null", "div", N("1"), RegoNull.Instance);
        TypeError("operand 1 must be number but got array", "rem", J("[]"), N("1"));
        TypeError("operand 1 must be number but got string", "abs", Str("x"));
    }

    [Fact]
    public void Minus_OnSets_IsDifference()
    {
        Is(S(N("1")), "minus", S(N("1"), N("2")), S(N("2"), N("3")));
        Is(RegoSet.Empty, "minus", S(N("1")), S(N("1")));
    }

    [Fact]
    public void Minus_TypeErrors_AsOpa()
    {
        TypeError("operand 2 must be set but got number", "minus", S(N("1")), N("1"));
        TypeError("operand 2 must be number but got set", "minus", N("1"), S(N("1")));
        TypeError("operand 1 must be one of {number, set} but got string", "minus", Str("a"), N("1"));
        TypeError("operand 2 must be number but got string", "minus", S(N("1")), Str("a"));
    }

    [Fact]
    public void AndOr_AreSetIntersectionAndUnion()
    {
        Is(S(N("2")), "and", S(N("1"), N("2")), S(N("2"), N("3")));
        Is(S(N("1"), N("2"), N("3")), "or", S(N("1"), N("2")), S(N("2"), N("3")));
        TypeError("operand 1 must be set but got number", "and", N("1"), S());
        TypeError("operand 2 must be set but got array", "or", S(), J("[]"));
    }

    [Theory]
    [InlineData("abs", "-10", "10")]
    [InlineData("abs", "-1.5", "1.5")]
    [InlineData("abs", "-28857836529306024611913", "28857836529306024611913")]
    [InlineData("round", "1.5", "2")]
    [InlineData("round", "2.5", "3")]
    [InlineData("round", "-2.5", "-3")]
    [InlineData("round", "-0.4", "0")]
    [InlineData("round", "1.4999", "1")]
    [InlineData("round", "7", "7")]
    [InlineData("ceil", "1.01", "2")]
    [InlineData("ceil", "2222.2222222222", "2223")]
    [InlineData("ceil", "-1.99999", "-1")]
    [InlineData("ceil", "1", "1")]
    [InlineData("floor", "1.5", "1")]
    [InlineData("floor", "99.99999", "99")]
    [InlineData("floor", "-1.001", "-2")]
    [InlineData("floor", "-3", "-3")]
    public void Unary_Computes(string name, string x, string expected) => Is(N(expected), name, N(x));

    [Fact]
    public void CeilAndFloor_BetweenMinusOneAndZero_KeepOpasResults()
    {
        // OPA truncates to an unsigned zero and then adjusts by its sign, so these differ from IEEE ceil/floor.
        Is(N("1"), "ceil", N("-0.5"));
        Is(N("0"), "floor", N("-0.5"));
    }

    [Theory]
    [InlineData(0, 3, "[0, 1, 2, 3]")]
    [InlineData(3, 0, "[3, 2, 1, 0]")]
    [InlineData(2, 2, "[2]")]
    [InlineData(-1, 1, "[-1, 0, 1]")]
    public void NumbersRange_IsInclusive(long from, long to, string expected) => Is(expected, "numbers.range", RegoNumber.FromLong(from), RegoNumber.FromLong(to));

    [Fact]
    public void NumbersRange_BigIntegers()
    {
        Is("[18446744073709551616, 18446744073709551617]", "numbers.range", N("18446744073709551616"), N("18446744073709551617"));
    }

    [Fact]
    public void NumbersRange_Errors()
    {
        TypeError("operand 1 must be integer number but got floating-point number", "numbers.range", N("1.5"), N("2"));
        TypeError("operand 2 must be integer but got string", "numbers.range", N("1"), Str("2"));
    }

    [Fact]
    public void NumbersRangeStep_Steps()
    {
        Is("[0, 2, 4, 6, 8, 10]", "numbers.range_step", N("0"), N("10"), N("2"));
        Is("[0, -2, -4, -6, -8, -10]", "numbers.range_step", N("0"), N("-10"), N("2"));
        Is("[10, 8, 6, 4]", "numbers.range_step", N("10"), N("3"), N("2"));
        Is("[2, 4]", "numbers.range_step", N("2"), N("5"), N("2"));
        Is("[0]", "numbers.range_step", N("0"), N("10"), N("99999999999999999999"));
        BuiltinError("step must be a positive integer", "numbers.range_step", N("0"), N("10"), N("-2"));
        BuiltinError("step must be a positive integer", "numbers.range_step", N("0"), N("10"), N("0"));
        TypeError("operand 3 must be integer number but got floating-point number", "numbers.range_step", N("0"), N("10"), N("0.5"));
    }
}
