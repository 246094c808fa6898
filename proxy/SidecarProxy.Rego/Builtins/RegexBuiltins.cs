// Regular expressions: OPA uses Go's regexp (RE2 syntax, leftmost-first matching, linear time). Patterns are
// parsed as RE2 and rewritten for .NET by RegexTranslator, then run with RegexOptions.NonBacktracking (linear
// time, like RE2) and CultureInvariant. Differences the translation bridges:
//   - (?P<name>re) and (?<name>re) become plain groups: .NET numbers named groups after unnamed ones, Go in
//     order of the opening parenthesis, so names are tracked here (for ${name} in regex.replace).
//   - $ without (?m) is end of text in Go (.NET's $ also matches before a final \n): emitted as \z; ^ as \A.
//   - \d \s \w and POSIX classes ([[:alpha:]]) are ASCII-only in Go: emitted as explicit ranges.
//   - (?U) (ungreedy) does not exist in .NET: quantifier greediness is swapped instead; (?s) is applied by
//     rewriting '.', since the other flags are kept as .NET inline options (i, m).
//   - Go matches code points, .NET UTF-16 units: '.', negated classes and classes with code points above
//     U+FFFF are rewritten to consume whole surrogate pairs.
//   - \pL (one-letter form), \p{Greek} and other scripts: .NET has only \p{L} and blocks; the one-letter form
//     is expanded and common scripts map to their main blocks (a script outside that table is rejected).
//   - \Q...\E, \x{10FFFF} and octal escapes (\012) are expanded to literals; \z, \A pass through.
//   - RE2 rejects what .NET would accept: backreferences (\1), lookaround, atomic groups, possessive and stacked
//     quantifiers (a**), \Z, \e, \cX, (?#...), inline x/n flags, repeat counts above 1000. These fail to parse
//     with Go's error text ("error parsing regexp: invalid escape sequence: `\1`").
// Remaining differences: \b and \B use .NET's Unicode word characters (Go's are ASCII); \p{..} categories match
// only BMP characters; case folding under (?i) follows .NET's invariant simple case mapping.
using System.Text;
using System.Text.RegularExpressions;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

internal static class RegexBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("regex.match", 2, Match);
        registry.Add("re_match", 2, Match);
        registry.Add("regex.is_valid", 1, IsValid);
        registry.Add("regex.split", 2, Split);
        registry.Add("regex.find_n", 3, FindN);
        registry.Add("regex.find_all_string_submatch_n", 3, FindAllSubmatch);
        registry.Add("regex.replace", 3, Replace);
        registry.Add("regex.template_match", 4, TemplateMatch);
        registry.Add("regex.globs_match", 2, GlobsMatch);
    }

    private static RegoValue Match(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        var value = Operands.String(args, 1);
        var re = RegexCache.Get(pattern);
        return RegoValue.From(IsMatch(re.Regex, value));
    }

    /// <summary>regex.is_valid never fails: a non-string operand is simply not a valid pattern.</summary>
    private static RegoValue IsValid(BuiltinContext ctx, RegoValue[] args) =>
        RegoValue.From(args[0] is RegoString s && RegexCache.IsValid(s.Value));

    private static RegoValue Split(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        var s = Operands.String(args, 1);
        var re = RegexCache.Get(pattern);

        // Go's Regexp.Split(s, -1), including its quirks: an empty input gives [""] for a non-empty pattern,
        // and a match at offset 0 of length 0 adds no leading piece.
        if (pattern.Length > 0 && s.Length == 0)
        {
            return new RegoArray([RegoString.Empty]);
        }

        var parts = new List<RegoValue>();
        var beg = 0;
        var end = 0;
        foreach (var m in FindAll(re.Regex, s, -1, ctx))
        {
            end = m.Index;
            if (m.Index + m.Length != 0)
            {
                parts.Add(new RegoString(s[beg..end]));
            }

            beg = m.Index + m.Length;
        }

        if (end != s.Length)
        {
            parts.Add(new RegoString(s[beg..]));
        }

        return new RegoArray(parts.ToArray());
    }

    private static RegoValue FindN(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        var s = Operands.String(args, 1);
        var n = (int)Math.Clamp(StringBuiltins.Int64(args, 2), int.MinValue, int.MaxValue);
        var re = RegexCache.Get(pattern);
        var result = new List<RegoValue>();
        foreach (var m in FindAll(re.Regex, s, n, ctx))
        {
            result.Add(new RegoString(m.Value));
        }

        return new RegoArray(result.ToArray());
    }

    private static RegoValue FindAllSubmatch(BuiltinContext ctx, RegoValue[] args)
    {
        var pattern = Operands.String(args, 0);
        var s = Operands.String(args, 1);
        var n = (int)Math.Clamp(StringBuiltins.Int64(args, 2), int.MinValue, int.MaxValue);
        var re = RegexCache.Get(pattern);
        var result = new List<RegoValue>();
        foreach (var m in FindAll(re.Regex, s, n, ctx))
        {
            var groups = new RegoValue[re.GroupNames.Count];
            for (var i = 0; i < groups.Length; i++)
            {
                var g = m.Groups[i];
                groups[i] = g.Success ? new RegoString(g.Value) : RegoString.Empty;
            }

            result.Add(new RegoArray(groups));
        }

        return new RegoArray(result.ToArray());
    }

    /// <summary>
    /// Go's FindAll iteration: successive non-overlapping matches; an empty match right after the previous match
    /// is skipped; after an empty match the search moves on one code point. n &lt; 0 means all, n = 0 none.
    /// </summary>
    internal static List<System.Text.RegularExpressions.Match> FindAll(Regex regex, string s, int n, BuiltinContext ctx)
    {
        var matches = new List<System.Text.RegularExpressions.Match>();
        if (n == 0)
        {
            return matches;
        }

        var pos = 0;
        var prevMatchEnd = -1;
        while ((n < 0 || matches.Count < n) && pos <= s.Length)
        {
            ctx.CancellationToken.ThrowIfCancellationRequested();
            var start = pos;
            var m = MatchAt(regex, s, start);
            if (!m.Success)
            {
                break;
            }

            var matchEnd = m.Index + m.Length;
            var accept = true;
            if (matchEnd == pos)
            {
                // An empty match at the search position: skip it if it abuts the previous match, then step on.
                if (m.Index == prevMatchEnd)
                {
                    accept = false;
                }

                pos += RuneWidth(s, pos);
            }
            else
            {
                pos = matchEnd;
            }

            prevMatchEnd = matchEnd;
            if (accept)
            {
                matches.Add(m);
            }
        }

        return matches;
    }

    private static int RuneWidth(string s, int index) =>
        index >= s.Length ? 1 : char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]) ? 2 : 1;

    private static RegoValue Replace(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var pattern = Operands.String(args, 1);
        var template = Operands.String(args, 2);
        var re = RegexCache.Get(pattern);

        // Go's ReplaceAllString: the replacement is skipped for an empty match right after the previous match.
        var sb = new StringBuilder(s.Length);
        var lastMatchEnd = 0;
        var searchPos = 0;
        while (searchPos <= s.Length)
        {
            ctx.CancellationToken.ThrowIfCancellationRequested();
            var from = searchPos;
            var m = MatchAt(re.Regex, s, from);
            if (!m.Success)
            {
                break;
            }

            var matchEnd = m.Index + m.Length;
            sb.Append(s, lastMatchEnd, m.Index - lastMatchEnd);
            if (matchEnd > lastMatchEnd || m.Index == 0)
            {
                Expand(sb, template, m, re.GroupNames);
            }

            lastMatchEnd = matchEnd;
            var width = RuneWidth(s, searchPos);
            searchPos = searchPos + width > matchEnd ? searchPos + width : matchEnd;
        }

        sb.Append(s, lastMatchEnd, s.Length - lastMatchEnd);
        var result = sb.ToString();
        return string.Equals(result, s, StringComparison.Ordinal) ? args[0] : new RegoString(result);
    }

    /// <summary>Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; a malformed reference stays literal.</summary>
    private static void Expand(StringBuilder sb, string template, System.Text.RegularExpressions.Match m, IReadOnlyList<string?> names)
    {
        var i = 0;
        while (i < template.Length)
        {
            var dollar = template.IndexOf('$', i);
            if (dollar < 0)
            {
                break;
            }

            sb.Append(template, i, dollar - i);
            i = dollar + 1;
            if (i < template.Length && template[i] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }

            if (!TryExtractName(template, i, out var name, out var num, out var rest))
            {
                sb.Append('$');
                continue;
            }

            i = rest;
            if (num >= 0)
            {
                if (num < m.Groups.Count && num < names.Count && m.Groups[num].Success)
                {
                    sb.Append(m.Groups[num].Value);
                }
            }
            else
            {
                for (var g = 0; g < names.Count; g++)
                {
                    if (string.Equals(names[g], name, StringComparison.Ordinal))
                    {
                        if (m.Groups[g].Success)
                        {
                            sb.Append(m.Groups[g].Value);
                        }

                        break;
                    }
                }
            }
        }

        if (i < template.Length)
        {
            sb.Append(template, i, template.Length - i);
        }
    }

    private static bool TryExtractName(string s, int start, out string name, out int num, out int rest)
    {
        name = string.Empty;
        num = -1;
        rest = start;
        if (start >= s.Length)
        {
            return false;
        }

        var brace = s[start] == '{';
        var i = brace ? start + 1 : start;
        var nameStart = i;
        while (i < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(i), out var r, out var width);
            if (!Rune.IsLetter(r) && !Rune.IsDigit(r) && r.Value != '_')
            {
                break;
            }

            i += width;
        }

        if (i == nameStart)
        {
            return false;
        }

        name = s[nameStart..i];
        if (brace)
        {
            if (i >= s.Length || s[i] != '}')
            {
                return false;
            }

            i++;
        }

        num = 0;
        foreach (var c in name)
        {
            if (c < '0' || c > '9' || num >= 100_000_000)
            {
                num = -1;
                break;
            }

            num = (num * 10) + (c - '0');
        }

        if (name[0] == '0' && name.Length > 1)
        {
            num = -1;
        }

        rest = i;
        return true;
    }

    private static RegoValue TemplateMatch(BuiltinContext ctx, RegoValue[] args)
    {
        var template = Operands.String(args, 0);
        var value = Operands.String(args, 1);
        var open = Operands.String(args, 2);
        var close = Operands.String(args, 3);
        var openLength = Encoding.UTF8.GetByteCount(open);
        if (openLength != 1)
        {
            throw new BuiltinErrorException($"start delimiter has to be exactly one character long but is {openLength} long");
        }

        if (Encoding.UTF8.GetByteCount(close) != 1)
        {
            // OPA reports the start delimiter's length here too.
            throw new BuiltinErrorException($"end delimiter has to be exactly one character long but is {openLength} long");
        }

        var re = RegexCache.Get(RegexTemplate.ToPattern(template, open[0], close[0]));
        return RegoValue.From(IsMatch(re.Regex, value));
    }

    private static RegoValue GlobsMatch(BuiltinContext ctx, RegoValue[] args)
    {
        var a = Operands.String(args, 0);
        var b = Operands.String(args, 1);
        return RegoValue.From(RegexGlobIntersection.NonEmpty(a, b));
    }

    // Only the backtracking fallback (for patterns the linear engine cannot build) can time out.
    private static bool IsMatch(Regex regex, string input)
    {
        try
        {
            return regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw TimedOut(ex);
        }
    }

    private static System.Text.RegularExpressions.Match MatchAt(Regex regex, string input, int start)
    {
        try
        {
            return regex.Match(input, start);
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw TimedOut(ex);
        }
    }

    private static BuiltinErrorException TimedOut(RegexMatchTimeoutException ex) =>
        new("regular expression evaluation timed out", ex);
}
