using System.Globalization;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A glob pattern gobwas/glob would reject; the message is the library's.</summary>
internal sealed class GlobSyntaxException : Exception
{
    public GlobSyntaxException(string message)
        : base(message)
    {
    }

    public GlobSyntaxException()
    {
    }

    public GlobSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Lexes and parses a glob the way gobwas/glob does (',' and '}' are literal outside braces; an unclosed '{',
/// a trailing backslash and malformed classes are errors reported as "glob: syntax error at N: reason", N being
/// the byte offset the lexer had reached) and writes an anchored RE2 pattern with the same meaning.
/// </summary>
internal sealed class GlobPattern
{
    private enum Kind
    {
        Eof,
        Text,
        Any,
        Super,
        Single,
        Not,
        RangeOpen,
        RangeClose,
        RangeLo,
        RangeBetween,
        RangeHi,
        TermsOpen,
        Separator,
        TermsClose,
    }

    private readonly record struct Token(Kind Kind, string Text);

    private readonly int[] _src;
    private readonly Queue<Token> _tokens = new();
    private int _pos;
    private int _termsLevel;

    private GlobPattern(string pattern) => _src = StringRunes.ToRunes(pattern);

    /// <summary>gobwas/glob's SyntaxError text: the byte offset the lexer had reached, and the reason.</summary>
    private GlobSyntaxException Error(string reason)
    {
        var bytes = 0;
        for (var i = 0; i < _pos && i < _src.Length; i++)
        {
            bytes += new Rune(_src[i]).Utf8SequenceLength;
        }

        return new GlobSyntaxException($"glob: syntax error at {bytes}: {reason}");
    }

    public static string ToRe2(string pattern, int[] delimiters)
    {
        var lexer = new GlobPattern(pattern);
        var notDelimiter = NotDelimiterClass(delimiters);
        var sb = new StringBuilder("^");
        lexer.ParseSequence(sb, notDelimiter, depth: 0);
        sb.Append('$');
        return sb.ToString();
    }

    private static string NotDelimiterClass(int[] delimiters)
    {
        if (delimiters.Length == 0)
        {
            return "(?s:.)";
        }

        var sb = new StringBuilder("[^");
        foreach (var d in delimiters)
        {
            AppendClassRune(sb, d);
        }

        return sb.Append(']').ToString();
    }

    private static void AppendClassRune(StringBuilder sb, int r) =>
        sb.Append("\\x{").Append(r.ToString("X", CultureInfo.InvariantCulture)).Append('}');

    /// <summary>
    /// Parses tokens into <paramref name="sb"/> until the end of the pattern.
    /// </summary>
    private void ParseSequence(StringBuilder sb, string notDelimiter, int depth)
    {
        if (depth > 100)
        {
            throw Error("pattern nests too deeply");
        }

        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case Kind.Eof:
                    return;
                case Kind.Text:
                    foreach (var rune in token.Text.EnumerateRunes())
                    {
                        AppendLiteral(sb, rune.Value);
                    }

                    break;
                case Kind.Any:
                    sb.Append(notDelimiter).Append('*');
                    break;
                case Kind.Super:
                    sb.Append("(?s:.)*");
                    break;
                case Kind.Single:
                    sb.Append(notDelimiter);
                    break;
                case Kind.RangeOpen:
                    ParseRange(sb);
                    break;
                case Kind.TermsOpen:
                    {
                        sb.Append("(?:");
                        if (ParseAlternatives(sb, notDelimiter, depth + 1))
                        {
                            sb.Append(')');
                            break;
                        }

                        throw Error("unclosed `{`");
                    }

                default:
                    throw Error($"unexpected token {token.Kind}");
            }
        }
    }

    /// <summary>Parses "a,b,c}" after '{'. Returns false when the input ended before the closing brace.</summary>
    private bool ParseAlternatives(StringBuilder sb, string notDelimiter, int depth)
    {
        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case Kind.Eof:
                    return false;
                case Kind.Separator:
                    sb.Append('|');
                    break;
                case Kind.TermsClose:
                    return true;
                case Kind.Text:
                    foreach (var rune in token.Text.EnumerateRunes())
                    {
                        AppendLiteral(sb, rune.Value);
                    }

                    break;
                case Kind.Any:
                    sb.Append(notDelimiter).Append('*');
                    break;
                case Kind.Super:
                    sb.Append("(?s:.)*");
                    break;
                case Kind.Single:
                    sb.Append(notDelimiter);
                    break;
                case Kind.RangeOpen:
                    ParseRange(sb);
                    break;
                case Kind.TermsOpen:
                    {
                        if (depth > 100)
                        {
                            throw Error("pattern nests too deeply");
                        }

                        sb.Append("(?:");
                        var closed = ParseAlternatives(sb, notDelimiter, depth + 1);
                        sb.Append(')');
                        if (!closed)
                        {
                            return false;
                        }

                        break;
                    }

                default:
                    throw Error($"unexpected token {token.Kind}");
            }
        }
    }

    private void ParseRange(StringBuilder sb)
    {
        var not = false;
        var lo = -1;
        var hi = -1;
        string? chars = null;
        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case Kind.Eof:
                    throw Error("unclosed `[`");
                case Kind.Not:
                    not = true;
                    break;
                case Kind.RangeLo:
                    lo = char.ConvertToUtf32(token.Text, 0);
                    break;
                case Kind.RangeBetween:
                    break;
                case Kind.RangeHi:
                    hi = char.ConvertToUtf32(token.Text, 0);
                    if (hi < lo)
                    {
                        throw Error("range hi character is less than lo");
                    }

                    break;
                case Kind.Text:
                    chars = token.Text;
                    break;
                case Kind.RangeClose:
                    {
                        var isRange = lo >= 0 && hi >= 0;
                        var isChars = chars is not null;
                        if (isChars == isRange)
                        {
                            throw Error("could not parse range");
                        }

                        sb.Append(not ? "[^" : "[");
                        if (isRange)
                        {
                            AppendClassRune(sb, lo);
                            sb.Append('-');
                            AppendClassRune(sb, hi);
                        }
                        else
                        {
                            foreach (var rune in chars!.EnumerateRunes())
                            {
                                AppendClassRune(sb, rune.Value);
                            }
                        }

                        sb.Append(']');
                        return;
                    }

                default:
                    throw Error($"unexpected token {token.Kind}");
            }
        }
    }

    private static void AppendLiteral(StringBuilder sb, int r)
    {
        if (r < 0x80 && (char.IsAsciiLetterOrDigit((char)r) || r == '_'))
        {
            sb.Append((char)r);
        }
        else
        {
            AppendClassRune(sb, r);
        }
    }

    // ---- lexer (gobwas/glob syntax/lexer) ----
    private const int EofRune = -1;

    private Token Next()
    {
        if (_tokens.Count == 0)
        {
            FetchItem();
        }

        return _tokens.Dequeue();
    }

    private int Read() => _pos < _src.Length ? _src[_pos++] : EofRune;

    private void Unread() => _pos--;

    private static string Str(int r) => char.ConvertFromUtf32(r);

    private void FetchItem()
    {
        var r = Read();
        if (r == EofRune)
        {
            _tokens.Enqueue(new Token(Kind.Eof, string.Empty));
            return;
        }

        switch (r)
        {
            case '{':
                _termsLevel++;
                _tokens.Enqueue(new Token(Kind.TermsOpen, "{"));
                return;
            case ',' when _termsLevel > 0:
                _tokens.Enqueue(new Token(Kind.Separator, ","));
                return;
            case '}' when _termsLevel > 0:
                _tokens.Enqueue(new Token(Kind.TermsClose, "}"));
                _termsLevel--;
                return;
            case '[':
                _tokens.Enqueue(new Token(Kind.RangeOpen, "["));
                FetchRange();
                return;
            case '?':
                _tokens.Enqueue(new Token(Kind.Single, "?"));
                return;
            case '*':
                if (_pos < _src.Length && _src[_pos] == '*')
                {
                    _pos++;
                    _tokens.Enqueue(new Token(Kind.Super, "**"));
                }
                else
                {
                    _tokens.Enqueue(new Token(Kind.Any, "*"));
                }

                return;
            default:
                Unread();
                if (FetchText(_termsLevel > 0 ? "?*[{},"u8 : "?*[{"u8))
                {
                    throw Error("trailing backslash");
                }

                return;
        }
    }

    private void FetchRange()
    {
        var wantHi = false;
        var wantClose = false;
        var seenNot = false;
        while (true)
        {
            var r = Read();
            if (r == EofRune)
            {
                throw Error("unexpected end of input");
            }

            if (wantClose)
            {
                if (r != ']')
                {
                    throw Error("expected close range character");
                }

                _tokens.Enqueue(new Token(Kind.RangeClose, "]"));
                return;
            }

            if (wantHi)
            {
                _tokens.Enqueue(new Token(Kind.RangeHi, Str(r)));
                wantClose = true;
                continue;
            }

            if (!seenNot && r == '!')
            {
                _tokens.Enqueue(new Token(Kind.Not, "!"));
                seenNot = true;
                continue;
            }

            if (_pos < _src.Length && _src[_pos] == '-')
            {
                _pos++;
                _tokens.Enqueue(new Token(Kind.RangeLo, Str(r)));
                _tokens.Enqueue(new Token(Kind.RangeBetween, "-"));
                wantHi = true;
                continue;
            }

            // A trailing backslash here is reported as the end of input the next read meets, as gobwas does.
            Unread();
            _ = FetchText("]"u8);
            wantClose = true;
        }
    }

    /// <summary>Reads literal text up to a breaker. Returns true when the input ended in a lone backslash.</summary>
    private bool FetchText(ReadOnlySpan<byte> breakers)
    {
        var data = new StringBuilder();
        var escaped = false;
        var trailingBackslash = false;
        while (true)
        {
            var r = Read();
            if (r == EofRune)
            {
                if (escaped)
                {
                    trailingBackslash = true;
                }

                break;
            }

            if (!escaped)
            {
                if (r == '\\')
                {
                    escaped = true;
                    continue;
                }

                if (r < 0x80 && breakers.IndexOf((byte)r) >= 0)
                {
                    Unread();
                    break;
                }
            }

            escaped = false;
            data.Append(Str(r));
        }

        if (data.Length > 0)
        {
            _tokens.Enqueue(new Token(Kind.Text, data.ToString()));
        }

        return trailingBackslash;
    }
}
