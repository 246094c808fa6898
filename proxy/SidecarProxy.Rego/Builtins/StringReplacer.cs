using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Go's <c>strings.NewReplacer</c> semantics, which OPA's <c>replace</c> and <c>strings.replace_n</c> use:
/// one left-to-right pass, no overlapping matches, and at each position the earliest pair (in argument
/// order) whose old string matches wins, not the longest. An empty old string matches between every
/// pair of characters (and at both ends), but never right after another empty match.
/// </summary>
internal static class StringReplacer
{
    public static string Replace(string s, IReadOnlyList<(string Old, string New)> pairs, CancellationToken cancellationToken)
    {
        if (pairs.Count == 1 && pairs[0].Old.Length > 0)
        {
            return s.Replace(pairs[0].Old, pairs[0].New, StringComparison.Ordinal);
        }

        var sb = new StringBuilder(s.Length);
        var prevMatchEmpty = false;
        var i = 0;
        var steps = 0;
        while (i <= s.Length)
        {
            if ((++steps & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var matched = -1;
            for (var p = 0; p < pairs.Count; p++)
            {
                var old = pairs[p].Old;
                if (old.Length == 0)
                {
                    if (!prevMatchEmpty)
                    {
                        matched = p;
                        break;
                    }

                    continue;
                }

                if (string.CompareOrdinal(s, i, old, 0, old.Length) == 0 && i + old.Length <= s.Length)
                {
                    matched = p;
                    break;
                }
            }

            if (matched >= 0)
            {
                var (old, replacement) = pairs[matched];
                sb.Append(replacement);
                i += old.Length;
                prevMatchEmpty = old.Length == 0;
                continue;
            }

            prevMatchEmpty = false;
            if (i == s.Length)
            {
                break;
            }

            // Advance one code point so a surrogate pair is never split.
            var width = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            sb.Append(s, i, width);
            i += width;
        }

        return sb.ToString();
    }
}
