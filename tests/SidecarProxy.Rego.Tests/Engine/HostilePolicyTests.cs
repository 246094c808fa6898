using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

/// <summary>
/// Policies are operator input and a bad one must end in a compile error, never a crash or a hang of the sidecar.
/// Found with the fuzz harness (tests/fuzz, target rego) on generated pathological modules.
/// </summary>
public sealed class HostilePolicyTests
{
    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    // Operator chains parse in a loop but build a left-deep tree that the compiler recurses on: 100,000 links overflowed
    // the stack (the process died). A run of unary minus recursed in the parser itself.
    [Theory]
    [InlineData(" + 1")]
    [InlineData(" == 1")]
    [InlineData(" | {1}")]
    [InlineData(" & {1}")]
    [InlineData(" * 2")]
    public void VeryLongOperatorChain_CompileErrorNotStackOverflow(string link)
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\nx := 1" + Repeat(link, 100_000) + "\n"));

        var error = Assert.Single(e.Errors);
        Assert.Equal("rego_parse_error", error.Code);
        Assert.Contains("expression nesting exceeds 500 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VeryLongUnaryMinusRun_CompileErrorNotStackOverflow()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\nx := " + Repeat("-", 100_000) + "1\n"));

        Assert.Contains("expression nesting exceeds 500 levels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OperatorChainsBelowTheLimit_StillWork()
    {
        var p = Compile("package t\nsum := 1" + Repeat(" + 1", 400) + "\nneg := " + Repeat("- ", 10) + "3\n");

        AssertValue("401", p.Eval("data.t.sum"));
        AssertValue("3", p.Eval("data.t.neg"));
    }

    // Each segment of a ref copied the whole path (quadratic in the parser), and long package paths and rule head
    // refs were quadratic in the compiler: 50,000-100,000 segments ran for minutes.
    [Theory]
    [InlineData("package t\nx := input{0}\n", ".a")]
    [InlineData("package t\nx := input{0}\n", "[0]")]
    [InlineData("package t{0}\n", ".a")]
    [InlineData("package t\nimport data{0}\n", ".a")]
    [InlineData("package t\na{0} := 1\n", ".b")]
    [InlineData("package t\na{0} := 1\n", "[\"b\"]")]
    public void VeryLongReference_CompileErrorNotHang(string template, string segment)
    {
        var module = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Repeat(segment, 50_000));

        var e = Assert.Throws<RegoCompileException>(() => Compile(module));

        Assert.Contains("reference longer than 1000 segments", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferencesUpToTheLimit_StillWork()
    {
        var p = Compile("package t" + Repeat(".a", 990) + "\nx := 1\n");

        AssertValue("1", p.Eval("data.t" + Repeat(".a", 990) + ".x"));
    }
}
