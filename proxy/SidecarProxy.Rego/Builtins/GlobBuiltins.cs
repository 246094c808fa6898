using System.Collections.Concurrent;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// glob.match and glob.quote_meta with the syntax of github.com/gobwas/glob, which OPA uses:
/// <c>*</c> any run of non-delimiter characters, <c>**</c> any run, <c>?</c> one non-delimiter character,
/// <c>[abc]</c> <c>[a-z]</c> <c>[!abc]</c> <c>[!a-z]</c> one character (delimiters included), <c>{a,b}</c>
/// alternatives (which may nest and hold any pattern), <c>\</c> escapes. Delimiters: <c>null</c> means none,
/// an empty array means <c>["."]</c>. Patterns are compiled to anchored RE2 expressions and run by the regex
/// engine (linear time); compiled patterns are cached per pattern and delimiter set.
/// </summary>
internal static class GlobBuiltins
{
    private const int MaxEntries = 500;

    // Keyed by pattern and delimiters (their runes as a string), so that a hit allocates nothing.
    private static readonly ConcurrentDictionary<(string Pattern, string Delimiters), Lazy<(CompiledRegex? Regex, string? Error)>> Cache = new();

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("glob.match", 3, Match);
        registry.Add("glob.quote_meta", 1, (_, a) => new RegoString(QuoteMeta(Operands.String(a, 0))));
    }

    private static RegoValue Match(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        var delimiters = args[1] switch
        {
            RegoNull => string.Empty,
            RegoArray array => DelimiterKey(array),
            _ => throw Operands.TypeError(args, 1, "one of {array, null}"),
        };

        var subject = Operands.String(args, 2);
        var (regex, error) = Lookup(pattern, delimiters);
        if (regex is null)
        {
            throw new BuiltinErrorException(error!);
        }

        return RegoValue.From(regex.Regex.IsMatch(subject));
    }

    private static (CompiledRegex? Regex, string? Error) Lookup(string pattern, string delimiters)
    {
        // Patterns usually come from data, so the same string instances recur: a small per-thread table matched by
        // reference finds them without hashing or comparing the text.
        var recent = t_recent ??= new RecentEntry?[RecentSize];

        // Two ways per set, so that two patterns whose hashes meet do not evict each other on every call.
        var set = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(pattern) & (RecentSize - 2);
        for (var way = set; way < set + 2; way++)
        {
            if (recent[way] is { } hit && ReferenceEquals(hit.Pattern, pattern) && string.Equals(hit.Delimiters, delimiters, StringComparison.Ordinal))
            {
                return hit.Compiled;
            }
        }

        var key = (pattern, delimiters);
        if (!Cache.TryGetValue(key, out var entry))
        {
            if (Cache.Count >= MaxEntries)
            {
                Cache.Clear();
            }

            entry = Cache.GetOrAdd(key, static k => new Lazy<(CompiledRegex?, string?)>(() => Compile(k.Pattern, StringRunes.ToRunes(k.Delimiters))));
        }

        var compiled = entry.Value;
        recent[set + 1] = recent[set];
        recent[set] = new RecentEntry(pattern, delimiters, compiled);
        return compiled;
    }

    private const int RecentSize = 32;

    [ThreadStatic]
    private static RecentEntry?[]? t_recent;

    private sealed record RecentEntry(string Pattern, string Delimiters, (CompiledRegex? Regex, string? Error) Compiled);

    /// <summary>The delimiters as a string of their runes; an empty array means ".".</summary>
    private static string DelimiterKey(RegoArray array)
    {
        if (array.Count == 0)
        {
            return ".";
        }

        // The usual case, single (non-surrogate) characters, needs no rune decoding; one delimiter no allocation.
        if (array.Count == 1 && array[0] is RegoString { Value: [var ch] } one && !char.IsSurrogate(ch))
        {
            return one.Value;
        }

        var runes = Delimiters(array);
        var sb = new StringBuilder(runes.Length);
        foreach (var r in runes)
        {
            StringRunes.AppendRune(sb, r);
        }

        return sb.ToString();
    }

    private static int[] Delimiters(RegoArray array)
    {
        var result = new int[array.Count];
        for (var i = 0; i < result.Length; i++)
        {
            if (array[i] is not RegoString s)
            {
                throw StringBuiltins.ElementError(2, array, array[i], "string");
            }

            var runes = StringRunes.ToRunes(s.Value);
            if (runes.Length != 1)
            {
                throw StringBuiltins.ElementError(2, array, array[i], "rune");
            }

            result[i] = runes[0];
        }

        return result;
    }

    private static (CompiledRegex? Regex, string? Error) Compile(string pattern, int[] delimiters)
    {
        string re2;
        try
        {
            re2 = GlobPattern.ToRe2(pattern, delimiters);
        }
        catch (GlobSyntaxException ex)
        {
            return (null, ex.Message);
        }

        try
        {
            return (RegexCache.Get(re2), null);
        }
        catch (BuiltinErrorException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>gobwas/glob's QuoteMeta: a backslash before each of <c>*?\[]{}</c>.</summary>
    internal static string QuoteMeta(string s)
    {
        var sb = new StringBuilder(s.Length * 2);
        foreach (var c in s)
        {
            if (c is '*' or '?' or '\\' or '[' or ']' or '{' or '}')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
