using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.TextBuiltinCalls;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class GlobBuiltinsTests
{
    private static bool Glob(string pattern, RegoValue delimiters, string s) =>
        Assert.IsType<RegoBoolean>(Builtin("glob.match", S(pattern), delimiters, S(s))).Value;

    [Theory]
    [InlineData("*.github.com", "[\".\"]", "api.github.com", true)]
    [InlineData("api.**.com", "[\".\"]", "api.github.com", true)]
    [InlineData("api.**.com", "[\".\"]", "api.cdn.github.com", true)]
    [InlineData("*:github:com", "[\":\"]", "api:github:com", true)]
    [InlineData("*.github.com", "[\".\"]", "api.not-github.com", false)]
    [InlineData("[abc]at", "[]", "cat", true)]
    [InlineData("[abc]at", "[]", "fat", false)]
    [InlineData("[!abc]at", "[]", "fat", true)]
    [InlineData("[!abc]at", "[]", "cat", false)]
    [InlineData("[a-c]at", "[]", "bat", true)]
    [InlineData("[a-c]at", "[]", "fat", false)]
    [InlineData("[!a-c]at", "[]", "bat", false)]
    [InlineData("[!a-c]at", "[]", "fat", true)]
    [InlineData("?at", "[]", "fat", true)]
    [InlineData("?at", "[]", "at", false)]
    [InlineData("?at", "[\"f\"]", "bat", true)]
    [InlineData("?at", "[\"f\"]", "fat", false)]
    [InlineData("{cat,bat,[fr]at}", "[]", "cat", true)]
    [InlineData("{cat,bat,[fr]at}", "[]", "rat", true)]
    [InlineData("{cat,bat,[fr]at}", "[]", "at", false)]
    [InlineData("*", "[\".\"]", "foo", true)]
    [InlineData("*", "[]", "foo.bar", false)]
    [InlineData("*", "null", "foo.bar", true)]
    [InlineData("foo*", "null", "foo.bar", true)]
    [InlineData("*/*", "[\"/\"]", "a/b", true)]
    [InlineData("*/*", "[\"/\"]", "a/b/c", false)]
    [InlineData("**", "[\"/\"]", "a/b/c", true)]
    [InlineData("\\*.com", "[]", "*.com", true)]
    [InlineData("\\*.com", "[]", "a.com", false)]
    [InlineData("{a,b{c,d}}x", "[]", "bdx", true)]
    [InlineData("a,b", "[]", "a,b", true)]
    [InlineData("a}b", "[]", "a}b", true)]
    [InlineData("[.]x", "[\".\"]", ".x", true)] // character classes ignore delimiters
    [InlineData("?", "[]", "😀", true)]
    [InlineData("a.b", "[]", "aXb", false)] // '.' is literal
    [InlineData("(a)", "[]", "(a)", true)]
    [InlineData("*", "[]", "", true)]
    [InlineData("{,a}b", "[]", "b", true)]
    [InlineData("{a,}b", "[]", "ab", true)]
    [InlineData("[\\]]", "[]", "]", true)]
    [InlineData("[!.]", "[\".\"]", ".", false)]
    [InlineData("a*b*c", "[]", "aXbYc", true)]
    [InlineData("a*b*c", "[]", "aXcYb", false)]
    public void Match_FollowsGobwasGlob(string pattern, string delimiters, string s, bool expected) =>
        Assert.Equal(expected, Glob(pattern, Json(delimiters), s));

    [Theory]
    [InlineData("{a,b", "glob: syntax error at 4: unclosed `{`")]
    [InlineData("a\\", "glob: syntax error at 2: trailing backslash")]
    [InlineData("\\", "glob: syntax error at 1: trailing backslash")]
    [InlineData("[]", "glob: syntax error at 2: could not parse range")]
    [InlineData("[abc", "glob: syntax error at 4: unexpected end of input")]
    [InlineData("[c-a]", "glob: syntax error at 5: range hi character is less than lo")]
    [InlineData("[a-bc]", "glob: syntax error at 5: expected close range character")]
    [InlineData("x{a,{b}", "glob: syntax error at 7: unclosed `{`")]
    public void InvalidPattern_IsBuiltinErrorWithGobwasMessage(string pattern, string message)
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Builtin("glob.match", S(pattern), RegoValue.Null, S("abc")));
        Assert.IsNotType<BuiltinTypeException>(ex);
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void DelimiterOperand_TypeErrors()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("glob.match", S("*"), S("."), S("x")));
        Assert.Equal("operand 2 must be one of {array, null} but got string", ex.Message);
        ex = Assert.Throws<BuiltinTypeException>(() => Builtin("glob.match", S("*"), A(N(1)), S("x")));
        Assert.Equal("operand 2 must be array of strings but got array containing number", ex.Message);
        ex = Assert.Throws<BuiltinTypeException>(() => Builtin("glob.match", S("*"), A(S("ab")), S("x")));
        Assert.Equal("operand 2 must be array of runes but got array containing string", ex.Message);
    }

    [Theory]
    [InlineData("*.github.com", "\\*.github.com")]
    [InlineData("[a]{b,c}?\\", "\\[a\\]\\{b,c\\}\\?\\\\")]
    [InlineData("plain.text", "plain.text")]
    public void QuoteMeta_EscapesGlobSpecials(string s, string expected) =>
        Assert.Equal(expected, Str("glob.quote_meta", S(s)));

    [Fact]
    public void QuotedPattern_MatchesItselfLiterally()
    {
        var quoted = Str("glob.quote_meta", S("a*[b]{c}?"));
        Assert.True(Glob(quoted, RegoValue.Null, "a*[b]{c}?"));
        Assert.False(Glob(quoted, RegoValue.Null, "aX[b]{c}?"));
    }
}
