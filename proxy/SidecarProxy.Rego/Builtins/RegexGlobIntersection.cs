namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// regex.globs_match: whether two regexp-style globs, both anchored at both ends, match a common non-empty
/// string. The syntax is OPA's (github.com/yashtewari/glob-intersection): '.' any character, '[...]' a set with
/// 'a-z' ranges, '*' and '+' after a token, '\' escapes. Decided exactly by searching the product of the two
/// globs' automata.
/// </summary>
internal static class RegexGlobIntersection
{
    private enum Repeat
    {
        One,
        Star,
        Plus,
    }

    /// <summary>One glob token: '.' (any character) or a set of code point ranges (a literal is a one-point set).</summary>
    private sealed record Token(bool Dot, List<(int Lo, int Hi)> Ranges, Repeat Repeat);

    public static bool NonEmpty(string a, string b)
    {
        var ga = Expand(Tokenize(a));
        var gb = Expand(Tokenize(b));

        // States (i, j, consumed): positions in each glob, and whether a character has been read.
        var seen = new HashSet<(int, int, bool)>();
        var queue = new Queue<(int, int, bool)>();
        void Push(int i, int j, bool consumed)
        {
            foreach (var ci in Closure(ga, i))
            {
                foreach (var cj in Closure(gb, j))
                {
                    if (seen.Add((ci, cj, consumed)))
                    {
                        queue.Enqueue((ci, cj, consumed));
                    }
                }
            }
        }

        Push(0, 0, false);
        while (queue.Count > 0)
        {
            var (i, j, consumed) = queue.Dequeue();
            if (consumed && i == ga.Count && j == gb.Count)
            {
                return true;
            }

            if (i == ga.Count || j == gb.Count || !Intersects(ga[i], gb[j]))
            {
                continue;
            }

            Push(ga[i].Repeat == Repeat.Star ? i : i + 1, gb[j].Repeat == Repeat.Star ? j : j + 1, true);
        }

        return false;
    }

    /// <summary>Positions reachable without reading: a starred token may be skipped.</summary>
    private static List<int> Closure(List<Token> g, int i)
    {
        var result = new List<int> { i };
        while (i < g.Count && g[i].Repeat == Repeat.Star)
        {
            i++;
            result.Add(i);
        }

        return result;
    }

    private static bool Intersects(Token x, Token y)
    {
        if (x.Dot)
        {
            return y.Dot || y.Ranges.Count > 0;
        }

        if (y.Dot)
        {
            return x.Ranges.Count > 0;
        }

        foreach (var (lo, hi) in x.Ranges)
        {
            foreach (var (lo2, hi2) in y.Ranges)
            {
                if (lo <= hi2 && lo2 <= hi)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>x+ becomes x x*, so only '*' needs special handling.</summary>
    private static List<Token> Expand(List<Token> tokens)
    {
        var result = new List<Token>(tokens.Count);
        foreach (var t in tokens)
        {
            if (t.Repeat == Repeat.Plus)
            {
                result.Add(t with { Repeat = Repeat.One });
                result.Add(t with { Repeat = Repeat.Star });
            }
            else
            {
                result.Add(t);
            }
        }

        return result;
    }

    private static List<Token> Tokenize(string input)
    {
        var runes = StringRunes.ToRunes(input);
        var tokens = new List<Token>();
        var i = 0;
        while (i < runes.Length)
        {
            var (r, escaped) = Next(runes, ref i);
            Token token;
            if (!escaped && r == '.')
            {
                token = new Token(true, [], Repeat.One);
            }
            else if (!escaped && r == '[')
            {
                token = new Token(false, ParseSet(runes, ref i), Repeat.One);
            }
            else if (!escaped && r == ']')
            {
                throw Invalid(i, "set-close ']' with no preceding '['");
            }
            else if (!escaped && (r == '*' || r == '+'))
            {
                throw Invalid(i, $"flag '{(char)r}' must be preceded by a non-flag");
            }
            else
            {
                token = new Token(false, [(r, r)], Repeat.One);
            }

            if (i < runes.Length && (runes[i] == '*' || runes[i] == '+'))
            {
                token = token with { Repeat = runes[i] == '*' ? Repeat.Star : Repeat.Plus };
                i++;
            }

            tokens.Add(token);
        }

        return tokens;
    }

    private static List<(int Lo, int Hi)> ParseSet(int[] runes, ref int i)
    {
        var set = new List<(int Lo, int Hi)>();
        var prev = -1;
        while (i < runes.Length)
        {
            var (r, escaped) = Next(runes, ref i);
            if (!escaped && r == ']')
            {
                return set;
            }

            if (!escaped && r == '-')
            {
                if (prev < 0)
                {
                    throw Invalid(i, "range character '-' must be preceded by a Unicode character");
                }

                if (i >= runes.Length)
                {
                    throw Invalid(i, "range character '-' must be followed by a Unicode character");
                }

                var (hi, hiEscaped) = Next(runes, ref i);
                if (!hiEscaped && (hi == ']' || hi == '-'))
                {
                    throw Invalid(i, "range character '-' cannot be followed by a special symbol");
                }

                if (hi < prev)
                {
                    throw Invalid(i, $"range is out of order: '{char.ConvertFromUtf32(hi)}' comes before '{char.ConvertFromUtf32(prev)}' in Unicode");
                }

                set.Add((prev, hi));

                prev = -1;
                continue;
            }

            set.Add((r, r));
            prev = r;
        }

        throw Invalid(i, "found [ without matching ]");
    }

    private static (int Rune, bool Escaped) Next(int[] runes, ref int i)
    {
        if (runes[i] == '\\')
        {
            if (i == runes.Length - 1)
            {
                throw Invalid(i, "input ends with a \\ (escape) character");
            }

            i += 2;
            return (runes[i - 1], true);
        }

        i++;
        return (runes[i - 1], false);
    }

    private static BuiltinErrorException Invalid(int index, string message) =>
        new($"pos:{index}:{message}: the input provided is invalid");
}
