using SidecarProxy.Rego.Builtins;
using static SidecarProxy.Rego.Tests.Builtins.TextBuiltinCalls;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class StringTemplateTests
{
    private static string Render(string template, string variables) => Str("strings.render_template", S(template), Json(variables));

    [Theory]
    [InlineData("{{.test}}", "{\"test\": \"hello world\"}", "hello world")]
    [InlineData("Hi {{.user.name}}!", "{\"user\": {\"name\": \"Ann\"}}", "Hi Ann!")]
    [InlineData("{{.n}} {{.f}} {{.b}} {{.a}} {{.o}}", "{\"n\": 3, \"f\": 1.5, \"b\": true, \"a\": [1, \"x\"], \"o\": {\"k\": 1}}", "3 1.5 true [1 x] map[k:1]")]
    [InlineData("{{range .items}}<{{.}}>{{end}}", "{\"items\": [\"a\", \"b\"]}", "<a><b>")]
    [InlineData("{{range $i, $v := .items}}{{$i}}={{$v}};{{end}}", "{\"items\": [\"a\", \"b\"]}", "0=a;1=b;")]
    [InlineData("{{range $k, $v := .m}}{{$k}}:{{$v}} {{end}}", "{\"m\": {\"b\": 2, \"a\": 1}}", "a:1 b:2 ")]
    [InlineData("{{range .items}}x{{else}}empty{{end}}", "{\"items\": []}", "empty")]
    [InlineData("{{if .ok}}yes{{else}}no{{end}}", "{\"ok\": false}", "no")]
    [InlineData("{{if eq .role \"admin\"}}A{{else if eq .role \"user\"}}U{{else}}?{{end}}", "{\"role\": \"user\"}", "U")]
    [InlineData("{{with .user}}{{.name}}{{end}}", "{\"user\": {\"name\": \"Bo\"}}", "Bo")]
    [InlineData("a  {{- .x -}}  b", "{\"x\": 1}", "a1b")]
    [InlineData("{{/* comment */}}x", "{}", "x")]
    [InlineData("{{printf \"%s|%v|%s\" .f .f .s}}", "{\"f\": 3.14159, \"s\": \"z\"}", "3.14159|3.14159|z")]
    [InlineData("{{printf \"%d\" .n}}", "{\"n\": 3}", "%!d(json.Number=3)")]
    [InlineData("{{len .items}} {{index .items 1}} {{index .m \"k\"}}", "{\"items\": [1, 2], \"m\": {\"k\": \"v\"}}", "2 2 v")]
    [InlineData("{{.s | printf \"%q\"}}", "{\"s\": \"a\"}", "\"a\"")]
    [InlineData("{{$x := .a}}{{$x}}{{$x = \"b\"}}{{$x}}", "{\"a\": \"a\"}", "ab")]
    [InlineData("{{if and .a (not .b)}}ok{{end}}", "{\"a\": 1, \"b\": 0}", "ok")]
    [InlineData("{{html .s}}", "{\"s\": \"<a href='x'>\\\"&\"}", "&lt;a href=&#39;x&#39;&gt;&#34;&amp;")]
    [InlineData("{{.missing_null}}", "{\"missing_null\": null}", "<no value>")]
    public void Render_FollowsTextTemplate(string template, string variables, string expected) =>
        Assert.Equal(expected, Render(template, variables));

    [Fact]
    public void MissingKey_IsBuiltinError()
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Render("{{.missing}}", "{\"a\": 1}"));
        Assert.Contains("map has no entry for key \"missing\"", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{.a")]
    [InlineData("{{if .a}}x")]
    [InlineData("{{end}}")]
    [InlineData("{{nosuchfunc .a}}")]
    public void MalformedTemplate_IsBuiltinError(string template) =>
        Assert.Throws<BuiltinErrorException>(() => Render(template, "{\"a\": 1}"));

    [Fact]
    public void NonObjectVariables_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("strings.render_template", S("x"), N(1)));
        Assert.Equal("operand 2 must be object but got number", ex.Message);
    }
}
