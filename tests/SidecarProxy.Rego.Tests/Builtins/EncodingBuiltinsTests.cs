using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class EncodingBuiltinsTests
{
    [Theory]
    [InlineData("hello", "aGVsbG8=")]
    [InlineData("subjects?_d", "c3ViamVjdHM/X2Q=")]
    [InlineData("", "")]
    public void Base64_RoundTrips(string plain, string encoded)
    {
        Assert.Equal(S(encoded), Call("base64.encode", S(plain)));
        Assert.Equal(S(plain), Call("base64.decode", S(encoded)));
        Assert.Equal(RegoBoolean.True, Call("base64.is_valid", S(encoded)));
    }

    [Theory]
    [InlineData("{'not':'base64'}")]
    [InlineData("aGVsbG8")]
    [InlineData("aGVsbG8=x")]
    [InlineData("a===")]
    public void Base64_InvalidInput_IsRejected(string text)
    {
        Assert.Equal(RegoBoolean.False, Call("base64.is_valid", S(text)));
        var ex = Throws<BuiltinErrorException>("base64.decode", S(text));
        Assert.StartsWith("illegal base64 data at input byte", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aGVsbG8", 4)]
    [InlineData("aGVsbG=", 7)]
    [InlineData("aGVsbG=x", 6)]
    [InlineData("aGVsbG8==", 8)]
    [InlineData("aG!s", 2)]
    [InlineData("a===", 1)]
    public void Base64_ErrorOffsets_MatchGo(string text, int offset)
    {
        Assert.Equal($"illegal base64 data at input byte {offset}", Throws<BuiltinErrorException>("base64.decode", S(text)).Message);
    }

    [Fact]
    public void Base64_SkipsLineBreaks()
    {
        Assert.Equal(S("hello"), Call("base64.decode", S("aGVs\r\nbG8=")));
    }

    [Fact]
    public void Base64_IsValidOfNonString_IsFalse()
    {
        Assert.Equal(RegoBoolean.False, Call("base64.is_valid", N(1)));
    }

    [Fact]
    public void Base64_EncodeOfNumber_IsTypeError()
    {
        var ex = Throws<BuiltinTypeException>("base64.encode", N(1));
        Assert.Equal("operand 1 must be string but got number", ex.Message);
    }

    [Fact]
    public void Base64Url_EncodesWithUrlAlphabet()
    {
        Assert.Equal(S("Pz8_Pg=="), Call("base64url.encode", S("???>")));
        Assert.Equal(S("Pz8_Pg"), Call("base64url.encode_no_pad", S("???>")));
    }

    [Theory]
    [InlineData("Pz8_Pg==", "???>")]
    [InlineData("Pz8_Pg", "???>")]
    [InlineData("aGVsbG8", "hello")]
    public void Base64Url_DecodesWithOrWithoutPadding(string encoded, string plain)
    {
        Assert.Equal(S(plain), Call("base64url.decode", S(encoded)));
    }

    [Fact]
    public void Base64Url_LengthOneModFour_IsError()
    {
        var ex = Throws<BuiltinErrorException>("base64url.decode", S("abcde"));
        // OPA appends the input; it may be part of a bearer token, so the message leaves it out.
        Assert.Equal("illegal base64url string", ex.Message);
    }

    [Fact]
    public void Hex_RoundTrips()
    {
        Assert.Equal(S("6c6f72656d20697073756d"), Call("hex.encode", S("lorem ipsum")));
        Assert.Equal(S("lorem ipsum"), Call("hex.decode", S("6C6F72656d20697073756d")));
    }

    [Theory]
    [InlineData("fghijkl", "encoding/hex: invalid byte: U+0067 'g'")]
    [InlineData("abc", "encoding/hex: odd length hex string")]
    [InlineData("ab z", "encoding/hex: invalid byte: U+0020 ' '")]
    public void Hex_InvalidInput_HasGoMessage(string text, string message)
    {
        var ex = Throws<BuiltinErrorException>("hex.decode", S(text));
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("a=b+1", "a%3Db%2B1")]
    [InlineData("a b&c/d~e", "a+b%26c%2Fd~e")]
    [InlineData("é", "%C3%A9")]
    [InlineData("", "")]
    public void UrlQuery_Encode_EscapesAsGo(string plain, string encoded)
    {
        Assert.Equal(S(encoded), Call("urlquery.encode", S(plain)));
    }

    [Fact]
    public void UrlQuery_Decode_TurnsPlusIntoSpace()
    {
        Assert.Equal(S("a=b 1"), Call("urlquery.decode", S("a%3Db+1")));
    }

    [Fact]
    public void UrlQuery_DecodeBadEscape_IsError()
    {
        var ex = Throws<BuiltinErrorException>("urlquery.decode", S("a%zzb"));
        Assert.Equal("invalid URL escape \"%zz\"", ex.Message);
    }

    [Fact]
    public void UrlQuery_EncodeObject_SortsKeysAndRepeatsArrays()
    {
        var obj = RegoObject.FromStrings(
        [
            new("c", Set(S("x"), S("b+1"))),
            new("a", J("""["b+1","c+2"]""")),
            new("b", S("d=e")),
        ]);
        Assert.Equal(S("a=b%2B1&a=c%2B2&b=d%3De&c=b%2B1&c=x"), Call("urlquery.encode_object", obj));
        Assert.Equal(S(""), Call("urlquery.encode_object", RegoObject.Empty));
    }

    [Fact]
    public void UrlQuery_EncodeObjectWithNumberValue_IsError()
    {
        var ex = Throws<BuiltinTypeException>("urlquery.encode_object", J("""{"a": 1}"""));
        Assert.Equal("operand 1 values must be string, array[string], or set[string]", ex.Message);
    }

    [Fact]
    public void UrlQuery_DecodeObject_GroupsValues()
    {
        AssertValue("""{"a":["value_a1","value_a2"],"b":[""]}""", Call("urlquery.decode_object", S("a=value_a1&b&a=value_a2")));
        AssertValue("{}", Call("urlquery.decode_object", S("")));
    }

    [Fact]
    public void UrlQuery_DecodeObjectWithSemicolon_IsError()
    {
        Throws<BuiltinErrorException>("urlquery.decode_object", S("a=1;b=2"));
    }

    [Fact]
    public void Yaml_Unmarshal_TypesPlainScalarsOnly()
    {
        var yaml = "a: 1\nb: \"1\"\nc: true\nd: True\ne: ~\nf: 1.5\ng: hello\nh: '2'\ni: 2001-12-14\nj: [1, x]\n1: k\n";
        AssertValue("""{"a":1,"b":"1","c":true,"d":true,"e":null,"f":1.5,"g":"hello","h":"2","i":"2001-12-14","j":[1,"x"],"1":"k"}""", Call("yaml.unmarshal", S(yaml)));
    }

    [Fact]
    public void Yaml_UnmarshalError_ReadsLikeGoYaml()
    {
        var ex = Throws<BuiltinErrorException>("yaml.unmarshal", S("[1,2,3"));
        Assert.StartsWith("yaml: line 1: did not find", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_IsValid()
    {
        Assert.Equal(RegoBoolean.True, Call("yaml.is_valid", S("foo:\n - qux: bar\n - baz: 2")));
        Assert.Equal(RegoBoolean.False, Call("yaml.is_valid", S("foo:\n - qux: bar\n - baz: {")));
        Assert.Equal(RegoBoolean.True, Call("yaml.is_valid", S("{\"json\": \"ok\"}")));
        Assert.Equal(RegoBoolean.False, Call("yaml.is_valid", N(1)));
    }

    [Fact]
    public void Yaml_Marshal_WritesBlockStyle()
    {
        var value = RegoObject.FromStrings(
        [
            new("foo", Set(N(1), N(2))),
            new("bar", J("""{"x":"true","y":"","z":"a: b","w":[{"k":1,"l":2}]}""")),
        ]);
        var yaml = Assert.IsType<RegoString>(Call("yaml.marshal", value)).Value;
        Assert.Equal("bar:\n  w:\n  - k: 1\n    l: 2\n  x: \"true\"\n  \"y\": \"\"\n  z: 'a: b'\nfoo:\n- 1\n- 2\n", yaml);
    }

    [Fact]
    public void Yaml_MarshalThenUnmarshal_RoundTrips()
    {
        var value = Arr(RegoObject.FromStrings([new("foo", Set(N(1), N(2), N(3)))]), S("multi\nline"), S("null"), S("a\u2028b\u0085c\td"), S("  lead\n\n"), S("- x"), S("#c"), S("😀"), J("""{"nested":{"deep":[[1,2],[]],"empty":{}}}"""));
        var yaml = Assert.IsType<RegoString>(Call("yaml.marshal", value));
        var back = Call("yaml.unmarshal", yaml);
        Assert.Equal(J("""[{"foo":[1,2,3]},"multi\nline","null","a\u2028b\u0085c\td","  lead\n\n","- x","#c","😀",{"nested":{"deep":[[1,2],[]],"empty":{}}}]"""), back);
    }

    [Fact]
    public void Yaml_Unmarshal_ResolvesAnchorsAndMergeKeys()
    {
        var yaml = "base: &b\n  x: 1\n  y: 2\nderived:\n  <<: *b\n  y: 3\nalias: *b\n";
        AssertValue("""{"base":{"x":1,"y":2},"derived":{"x":1,"y":3},"alias":{"x":1,"y":2}}""", Call("yaml.unmarshal", S(yaml)));
    }

    [Theory]
    [InlineData("", "null")]
    [InlineData("0x1F", "31")]
    [InlineData("- 1e3\n- -7\n- 012\n- .5\n- 0o17\n- yes\n- 1_000", "[1000,-7,12,0.5,15,\"yes\",\"1_000\"]")]
    public void Yaml_Unmarshal_Scalars(string yaml, string json)
    {
        AssertValue(json, Call("yaml.unmarshal", S(yaml.Replace("\\n", "\n", StringComparison.Ordinal))));
    }

    [Fact]
    public void Yaml_AliasBomb_IsRejected()
    {
        var sb = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 9; i++)
        {
            sb.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        Throws<BuiltinErrorException>("yaml.unmarshal", S(sb.ToString()));
        Assert.Equal(RegoBoolean.False, Call("yaml.is_valid", S(sb.ToString())));
    }

    [Fact]
    public void Yaml_DuplicateKey_IsError()
    {
        Throws<BuiltinErrorException>("yaml.unmarshal", S("a: 1\na: 2\n"));
    }

    [Theory]
    [InlineData("1_000", "\"1_000\"\n")]
    [InlineData("0b101", "\"0b101\"\n")]
    [InlineData("yes", "\"yes\"\n")]
    [InlineData("1.2.3", "1.2.3\n")]
    [InlineData("017", "\"017\"\n")]
    [InlineData("v1.2.3", "v1.2.3\n")]
    [InlineData("hello world", "hello world\n")]
    public void Yaml_Marshal_QuotesTextThatYaml11ReadersWouldRetype(string text, string yaml)
    {
        Assert.Equal(S(yaml), Call("yaml.marshal", S(text)));
    }
}
