using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

public sealed class CompileErrorTests
{
    [Fact]
    public void ParseError_IsLocatedAsOpaDoes()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\n\np := [1, 2\n"));
        var err = Assert.Single(e.Errors);
        Assert.Equal("rego_parse_error", err.Code);
        Assert.Equal("policy.rego", err.File);
        Assert.Equal(4, err.Line);
        Assert.Matches(@"^policy\.rego:4:\d+: rego_parse_error: unexpected eof token", e.Message);
    }

    [Fact]
    public void EveryModulesErrors_AreListed()
    {
        var e = Assert.Throws<RegoCompileException>(() => RegoCompiler.Compile(
        [
            new RegoModuleSource("a.rego", "package a\np := \n"),
            new RegoModuleSource("b.rego", "package b\nq if {\n"),
        ]));
        Assert.Equal(2, e.Errors.Count);
        Assert.Contains(e.Errors, x => x.File == "a.rego");
        Assert.Contains(e.Errors, x => x.File == "b.rego");
        Assert.Equal(2, e.Message.Split('\n').Length);
    }

    [Fact]
    public void RuleBodyWithoutIf_IsRejectedInV1()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\np { true }\n"));
        Assert.Contains("`if` keyword is required before rule body", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsafeVariable_IsReported()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\np if { x != 1 }\n"));
        var err = Assert.Single(e.Errors);
        Assert.Equal("rego_unsafe_var_error", err.Code);
        Assert.Equal("var x is unsafe", err.Message);
        Assert.Equal(2, err.Line);
    }

    [Fact]
    public void UnknownFunction_NamesIt()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\np if no_such.fn(1)\n"));
        Assert.Contains("undefined function no_such.fn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recursion_IsRejected()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\np if q\nq if p\n"));
        Assert.Contains(e.Errors, x => x.Code == "rego_recursion_error");
    }

    [Fact]
    public void ReassigningDeclaredVariable_IsRejected()
    {
        var e = Assert.Throws<RegoCompileException>(() => Compile("package t\np if { x := 1; x := 2 }\n"));
        Assert.Contains("var x assigned above", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetyReordering_AllowsUseBeforeBinding()
    {
        var p = Compile("package t\np := y if { y == 1; y = input.v }\n");
        AssertValue("1", p.Eval("data.t.p", """{"v": 1}"""));
    }
}

public sealed class ParserLimitTests
{
    [Fact]
    public void DeeplyNestedSource_IsAParseError_NotACrash()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        var e = Assert.Throws<RegoCompileException>(() => RegoCompiler.Compile([new RegoModuleSource("deep.rego", "package t\np := " + deep + "\n")]));
        Assert.Equal("rego_parse_error", e.Errors[0].Code);
    }
}
