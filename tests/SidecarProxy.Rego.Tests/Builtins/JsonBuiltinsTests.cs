using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class JsonBuiltinsTests
{
    [Fact]
    public void Marshal_WritesSetsAsSortedArraysAndSortsKeys()
    {
        var value = Arr(RegoObject.FromStrings([new("foo", Set(N(3), N(1), N(2))), new("bar", RegoNull.Instance)]));
        Assert.Equal(S("""[{"bar":null,"foo":[1,2,3]}]"""), Call("json.marshal", value));
    }

    [Fact]
    public void Marshal_EscapesLikeGo()
    {
        Assert.Equal(S("\"\\u003ca\\u003e \\u0026 \\\"q\\\" \\n\\b\\u0001\\u2028\""), Call("json.marshal", S("<a> & \"q\" \n\b\u0001\u2028")));
    }

    [Fact]
    public void Marshal_NonStringKeysBecomeTheirJsonText()
    {
        var value = RegoObject.From([new(N(2), S("b")), new(S("1"), S("a")), new(Arr(N(1)), S("c"))]);
        Assert.Equal(S("""{"1":"a","2":"b","[1]":"c"}"""), Call("json.marshal", value));
    }

    [Fact]
    public void Marshal_KeepsBigIntegersExact()
    {
        Assert.Equal(S("[18446744073709551614,1.5]"), Call("json.marshal", J("[18446744073709551614, 1.5]")));
    }

    [Fact]
    public void MarshalWithOptions_PrefixAndIndent()
    {
        var result = Call("json.marshal_with_options", J("""{"foo":"bar","bar":[1,{}]}"""), J("""{"prefix":"P ","indent":"  "}"""));
        Assert.Equal(S("P {\nP   \"bar\": [\nP     1,\nP     {}\nP   ],\nP   \"foo\": \"bar\"\nP }"), result);
    }

    [Fact]
    public void MarshalWithOptions_PrettyDefaultsToTab()
    {
        Assert.Equal(S("[\n\t1\n]"), Call("json.marshal_with_options", J("[1]"), J("""{"pretty":true}""")));
        Assert.Equal(S("[1]"), Call("json.marshal_with_options", J("[1]"), J("""{"pretty":false,"indent":"x"}""")));
        Assert.Equal(S("---[]"), Call("json.marshal_with_options", J("[]"), J("""{"prefix":"---"}""")));
    }

    [Fact]
    public void MarshalWithOptions_UnknownKey_IsTypeError()
    {
        var ex = Throws<BuiltinTypeException>("json.marshal_with_options", J("[]"), J("""{"lottery":true}"""));
        Assert.Equal("operand 2 object contained unknown key \"lottery\"", ex.Message);
    }

    [Fact]
    public void Unmarshal_ParsesExactNumbers()
    {
        AssertValue("""[{"foo":[1,2,3]},12345678901234567890]""", Call("json.unmarshal", S("""[{"foo":[1,2,3]},12345678901234567890]""")));
    }

    [Fact]
    public void Unmarshal_Invalid_IsBuiltinError()
    {
        Throws<BuiltinErrorException>("json.unmarshal", S("{"));
        var ex = Throws<BuiltinTypeException>("json.unmarshal", N(1));
        Assert.Equal("operand 1 must be string but got number", ex.Message);
    }

    [Theory]
    [InlineData("plainstring", false)]
    [InlineData("{", false)]
    [InlineData("{\"json\": \"ok\"}", true)]
    [InlineData("1 2", false)]
    public void IsValid(string text, bool valid)
    {
        Assert.Equal(RegoBoolean.From(valid), Call("json.is_valid", S(text)));
    }

    [Fact]
    public void Filter_KeepsSelectedPaths()
    {
        var obj = J("""{"a":{"b":{"c":7,"d":8},"e":9},"f":[{"x":1,"y":2},{"z":3}]}""");
        AssertValue("""{"a":{"b":{"c":7}},"f":[{"y":2}]}""", Call("json.filter", obj, Set(S("a/b/c"), S("f/0/y"))));
        AssertValue("""{"a":{"b":{"c":7,"d":8},"e":9}}""", Call("json.filter", obj, Arr(S("a"), S("a/e"))));
        AssertValue("""{"a":{"e":9}}""", Call("json.filter", obj, Arr(Arr(S("a"), S("e")))));
    }

    [Fact]
    public void Filter_EscapedPointerSegments()
    {
        AssertValue("""{"a/b":{"~c":1}}""", Call("json.filter", J("""{"a/b":{"~c":1,"d":2}}"""), Arr(S("a~1b/~0c"))));
    }

    [Fact]
    public void Remove_DropsPathsAndClosesArrays()
    {
        var obj = J("""{"a":[{"b":7,"c":8},{"d":9}],"e":1}""");
        AssertValue("""{"a":[{"c":8}],"e":1}""", Call("json.remove", obj, Set(S("a/0/b"), S("a/1"))));
        AssertValue("{}", Call("json.remove", J("""{"a":{"b":7},"c":1}"""), Set(S("a"), S("a/b"), S("c"))));
        AssertValue("""{"a":7}""", Call("json.remove", J("""{"a":7}"""), RegoSet.Empty));
    }

    [Fact]
    public void Remove_OperandErrors()
    {
        Assert.Equal("operand 1 must be object but got string", Throws<BuiltinTypeException>("json.remove", S("x"), Set(S("a"))).Message);
        Assert.Equal("operand 2 must be one of {set, array} but got string", Throws<BuiltinTypeException>("json.remove", J("{}"), S("a")).Message);
        Assert.Equal(
            "operand 2 must be one of {set, array} containing string paths or array of path segments but got number",
            Throws<BuiltinTypeException>("json.remove", J("{}"), Set(N(1))).Message);
    }

    [Fact]
    public void Patch_AppliesRfc6902Operations()
    {
        var doc = J("""{"a":{"b":[1,2]},"c":"x"}""");
        var ops = J("""
            [
              {"op":"add","path":"/a/b/-","value":3},
              {"op":"add","path":"/a/b/0","value":0},
              {"op":"replace","path":"/c","value":"y"},
              {"op":"copy","from":"/c","path":"/d"},
              {"op":"move","from":"/a/b","path":"/e"},
              {"op":"remove","path":"/a"},
              {"op":"test","path":"/e/3","value":3}
            ]
            """);
        AssertValue("""{"c":"y","d":"y","e":[0,1,2,3]}""", Call("json.patch", doc, ops));
    }

    [Fact]
    public void Patch_FailingOperation_IsUndefined()
    {
        Assert.Null(Call("json.patch", J("""{"a":1}"""), J("""[{"op":"test","path":"/a","value":2}]""")));
        Assert.Null(Call("json.patch", J("""{"a":1}"""), J("""[{"op":"remove","path":"/b"}]""")));
        Assert.Null(Call("json.patch", J("[1]"), J("""[{"op":"add","path":"/01","value":2}]""")));
        Assert.Null(Call("json.patch", J("[1]"), J("""[{"op":"add","path":"/5","value":2}]""")));
        Assert.Null(Call("json.patch", J("{}"), J("""[{"op":"frobnicate","path":"/a"}]""")));
    }

    [Fact]
    public void Patch_RootAndSets()
    {
        AssertValue("[1]", Call("json.patch", J("""{"a":1}"""), J("""[{"op":"replace","path":"","value":[1]}]""")));
        var result = Call("json.patch", RegoObject.FromStrings([new("s", Set(N(1)))]), J("""[{"op":"add","path":["s", 2],"value":2}]"""));
        Assert.Equal(RegoObject.FromStrings([new("s", Set(N(1), N(2)))]), result);
    }

    [Fact]
    public void Unmarshal_LoneSurrogateEscape_BecomesReplacementCharacter()
    {
        Assert.Equal(S("a\uFFFDb"), Call("json.unmarshal", S("\"a\\ud800b\"")));
        Assert.Equal(RegoBoolean.True, Call("json.is_valid", S("\"\\udc00\"")));
    }

    [Fact]
    public void Unmarshal_DeepNesting_IsAccepted()
    {
        var deep = new string('[', 1000) + new string(']', 1000);
        Assert.Equal(RegoBoolean.True, Call("json.is_valid", S(deep)));
        var value = Call("json.unmarshal", S(deep));
        Assert.NotNull(value);
        Assert.Equal(S(deep), Call("json.marshal", value));
    }

    [Theory]
    [InlineData("plainstring", "invalid character 'p' looking for beginning of value")]
    [InlineData("{", "unexpected EOF")]
    [InlineData("", "EOF")]
    [InlineData("[1,]", "invalid character ']' looking for beginning of value")]
    [InlineData("{\"a\" 1}", "invalid character '1' after object key")]
    [InlineData("{\"a\":1 \"b\"}", "invalid character '\"' after object key:value pair")]
    [InlineData("[1 2]", "invalid character '2' after array element")]
    [InlineData("{1:2}", "invalid character '1' looking for beginning of object key string")]
    [InlineData("tru", "unexpected EOF")]
    [InlineData("trux", "invalid character 'x' in literal true (expecting 'e')")]
    [InlineData("01", "invalid character '1' after top-level value")]
    [InlineData("1.", "unexpected EOF")]
    [InlineData("1.x", "invalid character 'x' after decimal point in numeric literal")]
    [InlineData("\"\\q\"", "invalid character 'q' in string escape code")]
    public void Unmarshal_SyntaxErrors_ReadLikeGo(string text, string message)
    {
        Assert.Equal(message, Throws<BuiltinErrorException>("json.unmarshal", S(text)).Message);
        Assert.Equal(RegoBoolean.False, Call("json.is_valid", S(text)));
    }
}
