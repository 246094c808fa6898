using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.TextBuiltinCalls;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class StringBuiltinsTests
{
    [Theory]
    [InlineData("/", "[\"\", \"foo\", \"bar\", \"0\", \"baz\"]", "/foo/bar/0/baz")]
    [InlineData(",", "[]", "")]
    [InlineData(",", "[\"a\"]", "a")]
    [InlineData("", "[\"f\", \"o\", \"o\"]", "foo")]
    public void Concat_JoinsArrays(string separator, string items, string expected) =>
        Assert.Equal(expected, Str("concat", S(separator), Json(items)));

    [Theory]
    [InlineData("lower", "\u0130", "i")]
    [InlineData("upper", "\u0131", "I")]
    [InlineData("upper", "\u017F", "S")]
    [InlineData("upper", "\u01C5", "\u01C4")]
    [InlineData("lower", "\u212A", "k")]
    [InlineData("upper", "\u0345", "\u0399")]
    [InlineData("upper", "\u1FBE", "\u0399")]
    [InlineData("upper", "\u03C2", "\u03A3")]
    [InlineData("lower", "\u1E9E", "\u00DF")]
    [InlineData("upper", "\u00B5", "\u039C")]
    [InlineData("lower", "\u2126", "\u03C9")]
    public void CaseMapping_IsGoSimpleMapping(string name, string s, string expected) =>
        Assert.Equal(expected, Str(name, S(s)));

    [Fact]
    public void Concat_JoinsSetsInOrder() =>
        Assert.Equal("1,2,3", Str("concat", S(","), RegoSet.From(S("3"), S("1"), S("2"))));

    [Fact]
    public void Concat_NonStringElement_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("concat", S(","), A(S("a"), N(1))));
        Assert.Equal("operand 2 must be array of strings but got array containing number", ex.Message);
        ex = Assert.Throws<BuiltinTypeException>(() => Builtin("concat", S(","), S("a")));
        Assert.Equal("operand 2 must be one of {set, array} but got string", ex.Message);
    }

    [Theory]
    [InlineData("contains", "abcdefgh", "defg", true)]
    [InlineData("contains", "abcdefgh", "ac", false)]
    [InlineData("contains", "abc", "", true)]
    [InlineData("startswith", "abcdefgh", "abcd", true)]
    [InlineData("startswith", "abcdefgh", "bcd", false)]
    [InlineData("endswith", "abcdefgh", "fgh", true)]
    [InlineData("endswith", "abcdefgh", "fg", false)]
    public void Predicates_AreOrdinal(string name, string s, string part, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin(name, S(s), S(part)));

    [Theory]
    [InlineData(15.5, 16, "f")]
    [InlineData(3.1, 10, "3")]
    [InlineData(-255, 16, "-ff")]
    [InlineData(5, 2, "101")]
    [InlineData(8, 8, "10")]
    [InlineData(-3.9, 10, "-3")]
    public void FormatInt_TruncatesAndFormats(double value, long radix, string expected) =>
        Assert.Equal(expected, Str("format_int", F(value), N(radix)));

    [Fact]
    public void FormatInt_BadBase_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("format_int", F(4.1), N(199)));
        Assert.Equal("operand 2 must be one of {2, 8, 10, 16}", ex.Message);
    }

    [Fact]
    public void FormatInt_BigInteger_IsExact() =>
        Assert.Equal("10000000000000000", Str("format_int", RegoNumber.Parse("18446744073709551616"), N(16)));

    [Theory]
    [InlineData("abcdefgh", "cde", 2)]
    [InlineData("abcabcabcdefgh", "cde", 8)]
    [InlineData("abcdefgh", "xyz", -1)]
    [InlineData("μx", "x", 1)]
    [InlineData("μ", "μμ", -1)]
    [InlineData("skön var våren", "vår", 9)]
    [InlineData("🍧🍨🧁🍰🍮", "🍮", 4)]
    [InlineData("🍧🍨🧁🍰🍮", "🍧🍨🧁🍰🍮", 0)]
    public void IndexOf_CountsCodePoints(string s, string search, long expected) =>
        Assert.Equal(N(expected), Builtin("indexof", S(s), S(search)));

    [Fact]
    public void IndexOf_EmptySearch_IsBuiltinError()
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Builtin("indexof", S("abc"), S("")));
        Assert.Equal("empty search character", ex.Message);
        Assert.Throws<BuiltinErrorException>(() => Builtin("indexof_n", S("abc"), S("")));
    }

    [Theory]
    [InlineData("dogcat", "cat", "[3]")]
    [InlineData("dogcatdogcat", "cat", "[3,9]")]
    [InlineData("dogcat", "rabbit", "[]")]
    [InlineData("😇😀😇😀😇😀", "😀", "[1,3,5]")]
    [InlineData("aaa", "aa", "[0,1]")]
    public void IndexOfN_ListsEveryMatch(string s, string search, string expected) =>
        Assert.Equal(expected, ToJson("indexof_n", S(s), S(search)));

    [Theory]
    [InlineData("AbCdEf", "abcdef", "ABCDEF")]
    [InlineData("ÅÄÖ straße", "åäö straße", "ÅÄÖ STRASSE")]
    [InlineData("𐐀x", "𐐨x", "𐐀X")]
    public void LowerUpper(string s, string lower, string upper)
    {
        Assert.Equal(lower, Str("lower", S(s)));

        // Go maps code point by code point, so ß has no single upper-case form and stays.
        Assert.Equal(upper.Replace("SS", "ß", StringComparison.Ordinal), Str("upper", S(s)));
    }

    [Fact]
    public void Split_EmptyDelimiter_KeepsSurrogatePairsTogether() =>
        Assert.Equal(A(S("a"), S("😀"), S("b")), Builtin("split", S("a😀b"), S("")));

    [Theory]
    [InlineData("", "hi", "bye", "")]
    [InlineData("foo.bar.baz", ".", ",", "foo,bar,baz")]
    [InlineData("foo...bar", "..", ",,", "foo,,.bar")]
    [InlineData("ab", "", "X", "XaXbX")]
    [InlineData("", "", "X", "X")]
    public void Replace_FollowsGoReplacer(string s, string old, string replacement, string expected) =>
        Assert.Equal(expected, Str("replace", S(s), S(old), S(replacement)));

    [Theory]
    [InlineData("{\"a\": \"b\", \"b\": \"a\"}", "abab", "baba")]
    [InlineData("{\"ab\": \"1\", \"a\": \"2\"}", "aab", "22b")]
    [InlineData("{\"a\": \"1\", \"ab\": \"2\"}", "ab", "1b")]
    [InlineData("{}", "abc", "abc")]
    public void ReplaceN_EarliestKeyWinsAtEachPosition(string patterns, string s, string expected) =>
        Assert.Equal(expected, Str("strings.replace_n", Json(patterns), S(s)));

    [Fact]
    public void ReplaceN_NonStringValue_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("strings.replace_n", Json("{\"a\": 1}"), S("a")));
        Assert.Equal("operand 1 non-string value found in pattern object", ex.Message);
    }

    [Theory]
    [InlineData("", ".", "[\"\"]")]
    [InlineData("test", "", "[\"t\",\"e\",\"s\",\"t\"]")]
    [InlineData("", "", "[]")]
    [InlineData("foo", ".", "[\"foo\"]")]
    [InlineData("foo.bar.baz", ".", "[\"foo\",\"bar\",\"baz\"]")]
    [InlineData(".a.", ".", "[\"\",\"a\",\"\"]")]
    public void Split_MatchesGo(string s, string delimiter, string expected) =>
        Assert.Equal(expected, ToJson("split", S(s), S(delimiter)));

    [Theory]
    [InlineData("abcdefgh", 2, 3, "cde")]
    [InlineData("åäö", 0, 2, "åä")]
    [InlineData("abcdefgh", 2, -1, "cdefgh")]
    [InlineData("aåäö", 2, -1, "äö")]
    [InlineData("abcdefgh", 2, 10000, "cdefgh")]
    [InlineData("abcdefghåäö", 2, 10000, "cdefghåäö")]
    [InlineData("aaa", 3, -1, "")]
    [InlineData("åäö", 4, -1, "")]
    [InlineData("😀😇x", 1, 1, "😇")]
    [InlineData("", 0, 5, "")]
    [InlineData("abc", 1, 9_999_999_999, "bc")]
    [InlineData("abc", 9_999_999_999, 1, "")]
    public void Substring_UsesCodePoints(string s, long start, long length, string expected) =>
        Assert.Equal(expected, Str("substring", S(s), N(start), N(length)));

    [Fact]
    public void Substring_NegativeOffset_IsBuiltinError()
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Builtin("substring", S("aaa"), N(-1), N(-1)));
        Assert.IsNotType<BuiltinTypeException>(ex);
        Assert.Equal("negative offset", ex.Message);
    }

    [Theory]
    [InlineData("trim", "¡¡¡foo, bar!!!", "!¡", "foo, bar")]
    [InlineData("trim", "¡¡¡foo, bar!!!", "i", "¡¡¡foo, bar!!!")]
    [InlineData("trim", "...foo.bar...", ".fr", "oo.ba")]
    [InlineData("trim", "", ".", "")]
    [InlineData("trim", "abc", "", "abc")]
    [InlineData("trim_left", "..a..", ".", "a..")]
    [InlineData("trim_right", "¡¡¡foo, bar!!!", "!¡", "¡¡¡foo, bar")]
    [InlineData("trim_right", "!!!foo, bar¡¡¡", "!", "!!!foo, bar¡¡¡")]
    [InlineData("trim_right", "x😀😀", "😀", "x")]
    [InlineData("trim_prefix", "¡¡¡foo, bar!!!", "¡¡¡foo", ", bar!!!")]
    [InlineData("trim_prefix", "¡¡¡foo, bar!!!", "¡¡¡bar", "¡¡¡foo, bar!!!")]
    [InlineData("trim_suffix", "¡¡¡foo, bar!!!", ", bar!!!", "¡¡¡foo")]
    [InlineData("trim_suffix", "¡¡¡foo, bar!!!", ", foo!!!", "¡¡¡foo, bar!!!")]
    public void Trim_Family(string name, string s, string cut, string expected) =>
        Assert.Equal(expected, Str(name, S(s), S(cut)));

    [Theory]
    [InlineData(" \t\n foo, bar \n\t\r\n", "foo, bar")]
    [InlineData("foo, bar", "foo, bar")]
    [InlineData("\u00a0\u2003x\u3000\u0085", "x")]
    public void TrimSpace_UsesUnicodeWhiteSpace(string s, string expected) =>
        Assert.Equal(expected, Str("trim_space", S(s)));

    [Theory]
    [InlineData("[\"a/b/c\", \"a/b/d\", \"e/f/g\"]", "[\"a/\", \"d/\"]", true)]
    [InlineData("[\"a/b/c\", \"a/b/d\", \"e/f/g\"]", "[\"f/\", \"d/\"]", false)]
    [InlineData("[]", "[\"a\"]", false)]
    [InlineData("[\"a\"]", "[]", false)]
    [InlineData("\"a/b/c\"", "\"a/\"", true)]
    public void AnyPrefixMatch(string strings, string prefixes, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin("strings.any_prefix_match", Json(strings), Json(prefixes)));

    [Theory]
    [InlineData("[\"a/b/c\", \"a/b/d\", \"e/f/g\"]", "[\"/c\", \"/a\"]", true)]
    [InlineData("[\"aa/bb/cc\"]", "[\"b/c\"]", false)]
    [InlineData("\"a/b/c\"", "\"/c\"", true)]
    public void AnySuffixMatch(string strings, string suffixes, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin("strings.any_suffix_match", Json(strings), Json(suffixes)));

    [Theory]
    [InlineData("strings.any_prefix_match", "[1, 2]", "[\"a\"]", "operand 1 must be array of strings but got array containing number")]
    [InlineData("strings.any_prefix_match", "1", "[\"a\"]", "operand 1 must be one of {string, set, array} but got number")]
    [InlineData("strings.any_suffix_match", "[\"a\"]", "[1]", "operand 2 must be array of strings but got array containing number")]
    [InlineData("strings.any_suffix_match", "[\"a\"]", "1", "operand 2 must be one of {string, set, array} but got number")]
    public void AnyMatch_TypeErrors(string name, string a, string b, string message)
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin(name, Json(a), Json(b)));
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("bar", "rab")]
    [InlineData("2\ufe0f\u20e3", "\u20e3\ufe0f2")]
    [InlineData("1😀𝛾", "𝛾😀1")]
    [InlineData("", "")]
    public void Reverse_ReversesCodePoints(string s, string expected) =>
        Assert.Equal(expected, Str("strings.reverse", S(s)));

    [Fact]
    public void Reverse_NonString_IsTypeError()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("strings.reverse", N(123)));
        Assert.Equal("operand 1 must be string but got number", ex.Message);
    }

    [Theory]
    [InlineData("cheese", "e", 3)]
    [InlineData("hello hello hello world", "hello", 3)]
    [InlineData("dummy", "x", 0)]
    [InlineData("dummy", "", 6)]
    [InlineData("", "", 1)]
    [InlineData("11111", "11", 2)]
    [InlineData("😀😀", "", 3)]
    public void Count_IsNonOverlapping(string s, string sub, long expected) =>
        Assert.Equal(N(expected), Builtin("strings.count", S(s), S(sub)));

    [Fact]
    public void WrongOperandType_ReportsPosition()
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Builtin("startswith", S("a"), N(1)));
        Assert.Equal("operand 2 must be string but got number", ex.Message);
        ex = Assert.Throws<BuiltinTypeException>(() => Builtin("substring", S("a"), F(1.5), N(1)));
        Assert.Equal("operand 2 must be integer number but got floating-point number", ex.Message);
    }
}
