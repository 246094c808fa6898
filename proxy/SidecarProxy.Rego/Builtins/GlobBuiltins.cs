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

    private static readonly ConcurrentDictionary<string, Lazy<(CompiledRegex? Regex, string? Error)>> Cache = new(StringComparer.Ordinal);

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("glob.match", 3, Match);
        registry.Add("glob.quote_meta", 1, (_, a) => new RegoString(QuoteMeta(Operands.String(a, 0))));
    }

    private static RegoValue Match(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        int[] delimiters;
        switch (args[1])
        {
            case RegoNull:
                delimiters = [];
                break;
            case RegoArray array:
                delimiters = Delimiters(array);
                if (delimiters.Length == 0)
                {
                    delimiters = ['.'];
                }

                break;
            default:
                throw Operands.TypeError(args, 1, "one of {array, null}");
        }

        var subject = Operands.String(args, 2);
        var id = new StringBuilder(pattern).Append('-');
        foreach (var d in delimiters)
        {
            StringRunes.AppendRune(id, d);
        }

        var key = id.ToString();
        if (!Cache.TryGetValue(key, out var entry))
        {
            if (Cache.Count >= MaxEntries)
            {
                Cache.Clear();
            }

            entry = Cache.GetOrAdd(key, _ => new Lazy<(CompiledRegex?, string?)>(() => Compile(pattern, delimiters)));
        }

        var (regex, error) = entry.Value;
        if (regex is null)
        {
            throw new BuiltinErrorException(error!);
        }

        return RegoValue.From(regex.Regex.IsMatch(subject));
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
