using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.TextBuiltinCalls;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class SprintfBuiltinTests
{
    private static string Sprintf(string format, params RegoValue[] args) => Str("sprintf", S(format), A(args));

    [Theory]
    [InlineData("hi %.2f", "[3.1415]", "hi 3.14")]
    [InlineData("hi %02X.%02X", "[127, 1]", "hi 7F.01")]
    [InlineData("hi %02d", "[5]", "hi 05")]
    [InlineData("hi %s", "[\"there\"]", "hi there")]
    [InlineData("hi %s", "[true]", "hi true")]
    [InlineData("hi %v", "[[\"there\", 5, 3.14]]", "hi [\"there\", 5, 3.14]")]
    [InlineData("hi", "[]", "hi")]
    [InlineData("%d", "[-42]", "-42")]
    [InlineData("%5d|%-5d|%05d", "[42, 42, -42]", "   42|42   |-0042")]
    [InlineData("%+d % d", "[5, 5]", "+5  5")]
    [InlineData("%x %X %o %b %#x %#o %#b", "[255, 255, 8, 5, 255, 8, 5]", "ff FF 10 101 0xff 010 0b101")]
    [InlineData("%d", "[18446744073709551616]", "18446744073709551616")]
    [InlineData("%x", "[18446744073709551616]", "10000000000000000")]
    [InlineData("%s", "[18446744073709551616]", "18446744073709551616")]
    [InlineData("%f", "[1.5]", "1.500000")]
    [InlineData("%e", "[1234.5678]", "1.234568e+03")]
    [InlineData("%E", "[0.000123]", "1.230000E-04")]
    [InlineData("%g", "[0.000012345]", "1.2345e-05")]
    [InlineData("%g %G", "[1234567.5, 1234567.5]", "1.2345675e+06 1.2345675E+06")]
    [InlineData("%.3g", "[3.14159]", "3.14")]
    [InlineData("%v", "[0.1]", "0.1")]
    [InlineData("%8.3f|%-8.2f|%08.3f", "[3.14159, 2.5, -3.14159]", "   3.142|2.50    |-003.142")]
    [InlineData("%.2f %.2f %.0f %.0f", "[0.125, 0.375, 0.5, 1.5]", "0.12 0.38 0 2")]
    [InlineData("%q", "[\"a\\\"b\\n\"]", "\"a\\\"b\\n\"")]
    [InlineData("%x", "[\"hi\"]", "6869")]
    [InlineData("% x", "[\"hi\"]", "68 69")]
    [InlineData("%10s|%-6s|%.2s", "[\"abc\", \"ab\", \"abcdef\"]", "       abc|ab    |ab")]
    [InlineData("%c%c", "[72, 105]", "Hi")]
    [InlineData("%U", "[65]", "U+0041")]
    [InlineData("%T %T %T %T", "[1, 1.5, \"s\", [1]]", "int float64 string string")]
    [InlineData("100%%", "[]", "100%")]
    [InlineData("%v %v", "[null, {\"a\": [1, 2]}]", "null {\"a\": [1, 2]}")]
    [InlineData("%[2]d %[1]d", "[1, 2]", "2 1")]
    [InlineData("%*d", "[5, 42]", "   42")]
    [InlineData("%.*f", "[2, 3.14159]", "3.14")]
    [InlineData("%x %X %b", "[1.5, -0.75, 1.5]", "0x1.8p+00 -0X1.8P-01 6755399441055744p-52")]
    [InlineData("%x", "[1e-300]", "0x1.56e1fc2f8f359p-997")]
    [InlineData("%s may %v on tool %s", "[\"a\", \"b\", \"c\"]", "a may b on tool c")]
    [InlineData("%s%%%s", "[\"a\", \"b\"]", "a%b")]
    [InlineData("[%s]", "[\"\"]", "[]")]
    [InlineData("%s %d", "[\"a\", 1]", "a 1")]
    [InlineData("%sé%s", "[\"😀\", \"x\"]", "😀éx")]
    public void Format_MatchesGo(string format, string argsJson, string expected)
    {
        Assert.Equal(expected, Str("sprintf", S(format), Json(argsJson)));
    }

    [Theory]
    [InlineData("%d", "[\"abc\"]", "%!d(string=abc)")]
    [InlineData("%t", "[true]", "%!t(string=true)")]
    [InlineData("%d", "[1.5]", "%!d(float64=1.5)")]
    [InlineData("%.2f", "[5]", "%!f(int=05)")]
    [InlineData("%s", "[5]", "%!s(int=5)")]
    [InlineData("%d %d", "[1]", "1 %!d(MISSING)")]
    [InlineData("%d", "[1, 2]", "1%!(EXTRA int=2)")]
    [InlineData("%d", "[1, \"a\", 2.5]", "1%!(EXTRA string=a, float64=2.5)")]
    [InlineData("abc%", "[]", "abc%!(NOVERB)")]
    [InlineData("%s%", "[\"a\"]", "a%!(NOVERB)")]
    [InlineData("%s", "[\"a\", \"b\"]", "a%!(EXTRA string=b)")]
    [InlineData("%s %s", "[\"a\"]", "a %!s(MISSING)")]
    [InlineData("%v %s", "[\"a\", [\"b\"]]", "a [\"b\"]")]
    [InlineData("%[3]d", "[1]", "%!d(BADINDEX)")]
    [InlineData("%z", "[1]", "%!z(int=1)")]
    [InlineData("%f", "[18446744073709551616]", "%!f(big.Int=18446744073709551616)")]
    public void Format_ReportsGoErrorsInline(string format, string argsJson, string expected)
    {
        Assert.Equal(expected, Str("sprintf", S(format), Json(argsJson)));
    }

    [Fact]
    public void SetAndEmptySet_PrintAsRego()
    {
        Assert.Equal("{1, 2} set()", Sprintf("%v %v", RegoSet.From(N(2), N(1)), RegoSet.Empty));
    }

    [Fact]
    public void StringsInsideComposites_AreQuotedLikeGo() =>
        Assert.Equal("[\"a\\x01\\u00a0é\\\"\", {\"k\": \"\\t\"}]", Sprintf("%v", A(S("a\u0001\u00a0é\""), Json("{\"k\": \"\\t\"}"))));

    [Fact]
    public void NumberBeyondFloat64_PrintsInExponentForm()
    {
        Assert.Equal("hi 2e308", Sprintf("hi %v", RegoNumber.Parse("2e308")));
    }

    [Fact]
    public void Width_CountsCodePoints()
    {
        Assert.Equal("  héllo😀", Sprintf("%8s", S("héllo😀")));
    }

    [Fact]
    public void NonArrayOperand_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("sprintf", S("%d"), N(1)));
        Assert.Equal("operand 2 must be array but got number", ex.Message);
        ex = Assert.Throws<BuiltinTypeException>(() => Builtin("sprintf", N(1), A()));
        Assert.Equal("operand 1 must be string but got number", ex.Message);
    }
}
