using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.TextBuiltinCalls;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class RegexBuiltinsTests
{
    private static bool Matches(string pattern, string s) => Assert.IsType<RegoBoolean>(Builtin("regex.match", S(pattern), S(s))).Value;

    [Theory]
    [InlineData("^[a-z]+\\[[0-9]+\\]$", "foo[1]", true)]
    [InlineData("^$", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", true)]
    [InlineData("^$", "something", false)]
    [InlineData("abc$", "abc\n", false)] // Go's $ is end of text, not before a final newline
    [InlineData("(?m)abc$", "abc\nx", true)]
    [InlineData("^\\d+$", "١٢٣", false)] // \d is ASCII-only in RE2
    [InlineData("^\\w+$", "héllo", false)]
    [InlineData("^\\pL+$", "héllo", true)]
    [InlineData("^\\p{Greek}+$", "αβγ", true)]
    [InlineData("^\\p{Lu}", "Éa", true)]
    [InlineData("^[[:alpha:]]+$", "abcXYZ", true)]
    [InlineData("^[[:^digit:]]+$", "abc", true)]
    [InlineData("(?P<year>\\d{4})-(?P<month>\\d{2})", "2024-05", true)]
    [InlineData("(?i)HELLO", "hello", true)]
    [InlineData("(?i:a)b", "AB", false)]
    [InlineData("^.$", "😀", true)] // one code point, two UTF-16 units
    [InlineData("^[^a]$", "😀", true)]
    [InlineData("^[😀-😂]$", "😁", true)]
    [InlineData("^\\x{1F600}$", "😀", true)]
    [InlineData("^\\Qa.b\\E$", "a.b", true)]
    [InlineData("^\\Qa.b\\E$", "axb", false)]
    [InlineData("^\\101$", "A", true)]
    [InlineData("^a.c$", "a\nc", false)]
    [InlineData("(?s)^a.c$", "a\nc", true)]
    [InlineData("x{2,3}", "axxb", true)]
    [InlineData("a{,3}", "a{,3}", true)] // not a repeat in Go: literal text
    public void Match_FollowsRe2(string pattern, string s, bool expected) => Assert.Equal(expected, Matches(pattern, s));

    [Fact]
    public void ReMatch_IsAnAlias() => Assert.Equal(RegoBoolean.True, Builtin("re_match", S("^a"), S("abc")));

    [Theory]
    [InlineData("$^[[[", "missing closing ]")]
    [InlineData("(", "missing closing )")]
    [InlineData("a)", "unexpected )")]
    [InlineData("(a)\\1", "invalid escape sequence: `\\1`")]
    [InlineData("(?=a)", "invalid or unsupported Perl syntax")]
    [InlineData("(?<!a)b", "invalid named capture: `(?<!a)b`")]
    [InlineData("a**", "invalid nested repetition operator: `**`")]
    [InlineData("a{2}*", "invalid nested repetition operator: `{2}*`")]
    [InlineData("a*+", "invalid nested repetition operator: `*+`")]
    [InlineData("++", "missing argument to repetition operator: `+`")]
    [InlineData("a{1001}", "invalid repeat count: `{1001}`")]
    [InlineData("(?i", "invalid or unsupported Perl syntax: `(?i`")]
    [InlineData("x[a", "missing closing ]: `[a`")]
    [InlineData("(a", "missing closing ): `(a`")]
    [InlineData("\\Z", "invalid escape sequence")]
    [InlineData("[z-a]", "invalid character class range")]
    [InlineData("\\p{Foo}", "invalid character class range")]
    [InlineData("a\\", "trailing backslash at end of expression")]
    [InlineData("(?P<a>x)(?P<a>y)", "duplicate capture group name")]
    [InlineData("(?x)a", "invalid or unsupported Perl syntax")]
    public void InvalidPattern_IsBuiltinErrorWithGoMessage(string pattern, string message)
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Builtin("regex.match", S(pattern), S("x")));
        Assert.IsNotType<BuiltinTypeException>(ex);
        Assert.StartsWith("error parsing regexp: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(RegoBoolean.False, Builtin("regex.is_valid", S(pattern)));
    }

    [Theory]
    [InlineData(".+", true)]
    [InlineData("(?P<name>a)|(?<other>b)", true)]
    [InlineData("[[:word:]]\\b\\B\\A\\z", true)]
    [InlineData("(?U)a+", true)]
    [InlineData("(?)a", true)]
    [InlineData("(?i-s:a)", true)]
    [InlineData("(?i-)a", false)]
    [InlineData("++", false)]
    public void IsValid_AcceptsRe2(string pattern, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin("regex.is_valid", S(pattern)));

    [Fact]
    public void IsValid_NonString_IsFalse() => Assert.Equal(RegoBoolean.False, Builtin("regex.is_valid", N(1)));

    [Theory]
    [InlineData("a.", "paranormal", -1, "[\"ar\",\"an\",\"al\"]")]
    [InlineData("a.", "paranormal", 2, "[\"ar\",\"an\"]")]
    [InlineData("a.", "paranormal", 0, "[]")]
    [InlineData("^a.", "abacadaeaf", -1, "[\"ab\"]")]
    [InlineData(".$", "abacadaeaf", -1, "[\"f\"]")]
    [InlineData("[abcdef]{2}", "abacadaeaf", -1, "[\"ab\",\"ac\",\"ad\",\"ae\",\"af\"]")]
    [InlineData("bork", "paranormal", -1, "[]")]
    [InlineData("a*", "baaac", -1, "[\"\",\"aaa\",\"\"]")]
    [InlineData("", "abc", -1, "[\"\",\"\",\"\",\"\"]")]
    [InlineData("(?U)a+", "aaa", -1, "[\"a\",\"a\",\"a\"]")]
    [InlineData("(?U)a+?", "aaa", -1, "[\"aaa\"]")]
    public void FindN_FollowsGoFindAll(string pattern, string s, long n, string expected) =>
        Assert.Equal(expected, ToJson("regex.find_n", S(pattern), S(s), N(n)));

    [Theory]
    [InlineData("a(x*)b", "-ab-axxb-", -1, "[[\"ab\",\"\"],[\"axxb\",\"xx\"]]")]
    [InlineData("a(x*)b(y)?", "-ab-", -1, "[[\"ab\",\"\",\"\"]]")]
    [InlineData("(?P<k>\\w+)=(\\d)", "a=1 b=2", 1, "[[\"a=1\",\"a\",\"1\"]]")]
    [InlineData("(?P<k>x)(y)", "xy", -1, "[[\"xy\",\"x\",\"y\"]]")]
    [InlineData("(a|ab)(c|bcd)(d*)", "abcd", -1, "[[\"abcd\",\"a\",\"bcd\",\"\"]]")]
    [InlineData("(a|ab)", "ab", -1, "[[\"a\",\"a\"]]")]
    [InlineData("(a*)+", "b", -1, "[[\"\",\"\"],[\"\",\"\"]]")]
    [InlineData("(a+?)(a*)", "aaa", -1, "[[\"aaa\",\"a\",\"aa\"]]")]
    public void FindAllStringSubmatch_NumbersGroupsLikeGo(string pattern, string s, long n, string expected) =>
        Assert.Equal(expected, ToJson("regex.find_all_string_submatch_n", S(pattern), S(s), N(n)));

    [Theory]
    [InlineData("-wy-wxxy-", "w(x*)y", "0", "-0-0-")]
    [InlineData("foo", "(foo)", "$1$1", "foofoo")]
    [InlineData("foo", "^[a-z]", "F", "Foo")]
    [InlineData("foo", "^[a-z]$", "F", "foo")]
    [InlineData("foo", "^[a-z]+$", "M", "M")]
    [InlineData("foo", "[a-z]$", "F", "foF")]
    [InlineData("foo bar", "[a-z]", "_", "___ ___")]
    [InlineData("foo barx", "[a-z]{3}", "_", "_ _x")]
    [InlineData("foo barx", "[a-z]{2}", "_", "_o __")]
    [InlineData("baaac", "a*", "X", "XbXcX")]
    [InlineData("abc", "", "-", "-a-b-c-")]
    [InlineData("ab", "(?P<first>a)(b)", "${first}x$2$$", "axb$")]
    [InlineData("ab", "(a)", "$1x", "b")] // $1x names group "1x", which does not exist
    [InlineData("ab", "(a)", "${1}x", "axb")]
    [InlineData("ab", "a", "$", "$b")]
    public void Replace_FollowsGoReplaceAllString(string s, string pattern, string replacement, string expected) =>
        Assert.Equal(expected, Str("regex.replace", S(s), S(pattern), S(replacement)));

    [Fact]
    public void Replace_BadPattern_IsBuiltinError() =>
        Assert.Throws<BuiltinErrorException>(() => Builtin("regex.replace", S("foo"), S("["), S("$1")));

    [Theory]
    [InlineData("a", "banana", "[\"b\",\"n\",\"n\",\"\"]")]
    [InlineData(",", "a,b,c", "[\"a\",\"b\",\"c\"]")]
    [InlineData("x*", "axbc", "[\"a\",\"b\",\"c\"]")]
    [InlineData("", "abc", "[\"a\",\"b\",\"c\"]")]
    [InlineData("a", "", "[\"\"]")]
    [InlineData("", "", "[]")]
    public void Split_FollowsGo(string pattern, string s, string expected) =>
        Assert.Equal(expected, ToJson("regex.split", S(pattern), S(s)));

    [Theory]
    [InlineData("urn:foo:{.*}", "urn:foo:bar:baz", "{", "}", true)]
    [InlineData("urn:foo:<.*>", "urn:foo:bar:baz", "<", ">", true)]
    [InlineData("urn:foo.bar:{[0-9]{2}}", "urn:foo.bar:42", "{", "}", true)]
    [InlineData("urn:foo.bar:{[0-9]{2}}", "urn:fooxbar:42", "{", "}", false)]
    [InlineData("urn:foo.bar:{[0-9]{2}}", "urn:foo.bar:421", "{", "}", false)]
    public void TemplateMatch(string template, string s, string open, string close, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin("regex.template_match", S(template), S(s), S(open), S(close)));

    [Fact]
    public void TemplateMatch_Errors()
    {
        var ex = Assert.Throws<BuiltinErrorException>(() => Builtin("regex.template_match", S("a{b"), S("x"), S("{"), S("}")));
        Assert.Equal("unbalanced braces in \"a{b\"", ex.Message);
        ex = Assert.Throws<BuiltinErrorException>(() => Builtin("regex.template_match", S("a"), S("x"), S("{{"), S("}")));
        Assert.Equal("start delimiter has to be exactly one character long but is 2 long", ex.Message);
    }

    [Theory]
    [InlineData("a.a.", ".b.b", true)]
    [InlineData("[a-z]+", "[0-9]*", false)]
    [InlineData("a*", "b*", false)]
    [InlineData("a*", "a", true)]
    [InlineData("foo.*", "foobar", true)]
    [InlineData("[a-c]x", "[c-e]x", true)]
    [InlineData("[a-c]x", "[d-e]x", false)]
    [InlineData("a\\.b", "a.b", true)]
    [InlineData("a\\.b", "axb", false)]
    [InlineData("abcd", "[a-d]*", true)]
    [InlineData("pqrs", "pq.s", true)]
    [InlineData("d*", "[abcd][abcd]", true)]
    [InlineData("d*", "d[a-z]+", true)]
    [InlineData("[a-p]+", "[p-z]+", true)]
    [InlineData("[a-p]+", "abcdefgh*", true)]
    [InlineData("abcd[a-c]z+", "abcd[b-d][yz]*", true)]
    [InlineData(".*\\\\", ".*", true)]
    [InlineData(".a.a", "b.b.", true)]
    [InlineData("abcd", "abcdla", false)]
    [InlineData("[a-d]+", "[e-f]+", false)]
    [InlineData("[0-9]*", "\\*", false)]
    [InlineData("mamama.*", "dadada.*", false)]
    [InlineData(".*mamama", ".*nanana", false)]
    [InlineData(".xyz.", ".*pqr.*", false)]
    public void GlobsMatch_DecidesIntersection(string a, string b, bool expected) =>
        Assert.Equal(RegoValue.From(expected), Builtin("regex.globs_match", S(a), S(b)));

    [Fact]
    public void GlobsMatch_InvalidGlob_IsBuiltinError() =>
        Assert.Throws<BuiltinErrorException>(() => Builtin("regex.globs_match", S("[a"), S("a")));

    [Fact]
    public void GeneratedRe2Patterns_AllTranslateToWorkingDotNetPatterns()
    {
        // Valid RE2 building blocks combined at random: every combination is valid RE2, so each must translate
        // to a .NET pattern that constructs and runs.
        string[] atoms =
        [
            "a", ".", "\\d", "\\W", "[a-z]", "[^x\\n]", "(a|b)", "(?:c|)", "\\pL", "\\p{Greek}", "[[:alpha:][:digit:]]",
            "\\x{41}", "\\x41", "\\101", "\\Qa.b\\E", "^", "$", "\\b", "\\B", "\\A", "\\z", "(?i:k)", "\\.", "[😀-😂]",
            "é", "😀", "[^😀]", "\\{", "{", "}", "]", "-", "(?s:.)", "(?U:a+)", "[\\d\\s_-]", "\\P{Lu}", "\\pN",
        ];
        string[] repeats = ["", "", "*", "+", "?", "*?", "{2}", "{1,3}", "{0,}"];
        var random = new Random(1234);
        for (var i = 0; i < 120; i++)
        {
            var sb = new System.Text.StringBuilder();
            var parts = random.Next(1, 6);
            for (var p = 0; p < parts; p++)
            {
                var atom = atoms[random.Next(atoms.Length)];
                var repeat = atom is "^" or "$" or "\\b" or "\\B" or "\\A" or "\\z" ? string.Empty : repeats[random.Next(repeats.Length)];
                if (atom is "{" && repeat.StartsWith('{'))
                {
                    repeat = string.Empty;
                }

                sb.Append(random.Next(4) == 0 ? "(" + atom + repeat + ")" : atom + repeat);
                if (random.Next(6) == 0)
                {
                    sb.Append('|');
                }
            }

            var pattern = sb.ToString();
            Assert.True(RegexCache.IsValid(pattern), pattern);
            var result = Builtin("regex.find_n", S(pattern), S("xaK é😀 Ab.1{}-\n\nκ"), N(-1));
            Assert.IsType<RegoArray>(result);
        }
    }

    [Fact]
    public void CatastrophicPattern_RunsInLinearTime()
    {
        // (a+)+$ backtracks exponentially in a backtracking engine; RE2 and NonBacktracking do not.
        var input = new string('a', 5000) + "!";
        Assert.Equal(RegoBoolean.False, Builtin("regex.match", S("^(a+)+$"), S(input)));
    }

    [Fact]
    public void Cache_IsSafeUnderConcurrentUseAndEviction()
    {
        // More distinct patterns than the cache holds, so entries are evicted while other threads read.
        var distinct = RegexCache.MaxEntries + 40;
        Parallel.For(0, distinct * 3, i =>
        {
            var n = (i % distinct).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Matches("^x" + n + "$", "x" + n));
            Assert.False(Matches("^x" + n + "$", "y" + n));
        });
    }
}
