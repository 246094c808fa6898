using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// regex.template_match's template syntax (forked by OPA from gorilla/mux): text with regular expressions
/// between one-character delimiters, e.g. <c>urn:foo:{.*}</c>. The text is quoted and the whole anchored.
/// </summary>
internal static class RegexTemplate
{
    /// <summary>The RE2 pattern for a template, or throws <see cref="BuiltinErrorException"/> as OPA does.</summary>
    public static string ToPattern(string template, char open, char close)
    {
        var bounds = DelimiterIndices(template, open, close);
        var pattern = new StringBuilder("^");
        var end = 0;
        for (var i = 0; i < bounds.Count; i += 2)
        {
            var raw = template[end..bounds[i]];
            end = bounds[i + 1];
            var inner = template[(bounds[i] + 1)..(end - 1)];

            // Each embedded expression must compile on its own, as in OPA.
            RegexCache.Get("^" + inner + "$");
            pattern.Append(QuoteMeta(raw)).Append('(').Append(inner).Append(')');
        }

        pattern.Append(QuoteMeta(template[end..])).Append('$');
        return pattern.ToString();
    }

    private static List<int> DelimiterIndices(string s, char open, char close)
    {
        var level = 0;
        var idx = 0;
        var bounds = new List<int>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == open)
            {
                if (++level == 1)
                {
                    idx = i;
                }
            }
            else if (s[i] == close)
            {
                if (--level == 0)
                {
                    bounds.Add(idx);
                    bounds.Add(i + 1);
                }
                else if (level < 0)
                {
                    throw new BuiltinErrorException($"unbalanced braces in {SprintfQuote.Quote(s, asciiOnly: false)}");
                }
            }
        }

        if (level != 0)
        {
            throw new BuiltinErrorException($"unbalanced braces in {SprintfQuote.Quote(s, asciiOnly: false)}");
        }

        return bounds;
    }

    /// <summary>Go's regexp.QuoteMeta.</summary>
    internal static string QuoteMeta(string s)
    {
        var sb = new StringBuilder(s.Length * 2);
        foreach (var c in s)
        {
            if (@"\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
