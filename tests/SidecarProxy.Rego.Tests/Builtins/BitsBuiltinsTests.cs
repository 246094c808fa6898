using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class BitsBuiltinsTests
{
    [Theory]
    [InlineData("bits.and", "7", "9", "1")]
    [InlineData("bits.and", "50", "0", "0")]
    [InlineData("bits.and", "-1", "255", "255")]
    [InlineData("bits.or", "7", "9", "15")]
    [InlineData("bits.xor", "42", "3", "41")]
    [InlineData("bits.xor", "42", "42", "0")]
    [InlineData("bits.lsh", "1", "3", "8")]
    [InlineData("bits.lsh", "2147483647", "1", "4294967294")]
    [InlineData("bits.lsh", "9223372036854775807", "1", "18446744073709551614")]
    [InlineData("bits.lsh", "0", "100000000", "0")]
    [InlineData("bits.rsh", "8", "3", "1")]
    [InlineData("bits.rsh", "-8", "1", "-4")]
    [InlineData("bits.rsh", "-1", "1000", "-1")]
    [InlineData("bits.rsh", "5", "99999999999999999999", "0")]
    public void Binary_Computes(string name, string x, string y, string expected) => Is(N(expected), name, N(x), N(y));

    [Theory]
    [InlineData("42", "-43")]
    [InlineData("-1", "0")]
    [InlineData("18446744073709551616", "-18446744073709551617")]
    public void Negate_IsTwosComplementNot(string x, string expected) => Is(N(expected), "bits.negate", N(x));

    [Fact]
    public void Operands_MustBeIntegers()
    {
        TypeError("operand 1 must be integer number but got floating-point number", "bits.and", N("7.2"), N("42"));
        TypeError("operand 2 must be integer number but got floating-point number", "bits.or", N("7"), N("4.2"));
        TypeError("operand 1 must be integer number but got floating-point number", "bits.negate", N("7.2"));
        TypeError("operand 1 must be integer but got string", "bits.xor", Str("7"), N("1"));
        TypeError("operand 2 must be an unsigned integer number but got a negative integer", "bits.lsh", N("7"), N("-1"));
        TypeError("operand 2 must be an unsigned integer number but got a negative integer", "bits.rsh", N("7"), N("-1"));
    }

    [Fact]
    public void HugeLeftShift_IsRefused()
    {
        BuiltinError("shift count 100000000 is too large", "bits.lsh", N("1"), N("100000000"));
    }
}
