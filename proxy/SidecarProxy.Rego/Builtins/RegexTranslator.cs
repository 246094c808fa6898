using System.Globalization;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A regular expression OPA (Go's RE2 syntax) would reject, with Go's message.</summary>
internal sealed class RegexSyntaxException : Exception
{
    public RegexSyntaxException(string code, string expr)
        : base($"error parsing regexp: {code}: `{expr}`")
    {
    }

    public RegexSyntaxException()
    {
    }

    public RegexSyntaxException(string message)
        : base(message)
    {
    }

    public RegexSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The .NET form of an RE2 pattern and its capture groups in Go's numbering.</summary>
/// <param name="Pattern">The .NET pattern; every group in it is unnamed, numbered as Go numbers them.</param>
/// <param name="GroupNames">Index i holds the name of Go group i (index 0 is the whole match), or null.</param>
internal sealed record TranslatedRegex(string Pattern, IReadOnlyList<string?> GroupNames);

/// <summary>
/// Parses Go RE2 syntax (regexp/syntax with the Perl flags, which is what regexp.Compile uses) and writes an
/// equivalent .NET pattern. Validation follows Go: anything RE2 rejects (backreferences, lookaround, atomic and
/// possessive forms, \Z, (?#...), repeat counts over 1000, ...) is rejected with Go's error text. See the
/// comment at the top of RegexBuiltins.cs for the semantic differences this translation bridges.
/// </summary>
internal sealed class RegexTranslator
{
    private const int MaxRepeat = 1000;

    // Go's \d \s \w are ASCII-only; .NET's are Unicode-aware.
    private static readonly (int Lo, int Hi)[] Digit = [('0', '9')];
    private static readonly (int Lo, int Hi)[] Space = [('\t', '\n'), ('\f', '\r'), (' ', ' ')];
    private static readonly (int Lo, int Hi)[] Word = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

    private static readonly Dictionary<string, (int Lo, int Hi)[]> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = [('0', '9'), ('A', 'Z'), ('a', 'z')],
        ["alpha"] = [('A', 'Z'), ('a', 'z')],
        ["ascii"] = [(0, 0x7F)],
        ["blank"] = [('\t', '\t'), (' ', ' ')],
        ["cntrl"] = [(0, 0x1F), (0x7F, 0x7F)],
        ["digit"] = [('0', '9')],
        ["graph"] = [('!', '~')],
        ["lower"] = [('a', 'z')],
        ["print"] = [(' ', '~')],
        ["punct"] = [('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        ["space"] = [('\t', '\r'), (' ', ' ')],
        ["upper"] = [('A', 'Z')],
        ["word"] = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        ["xdigit"] = [('0', '9'), ('A', 'F'), ('a', 'f')],
    };

    // Go accepts Unicode scripts in \p{...}; .NET has only blocks. The common scripts map to their main blocks.
    private static readonly Dictionary<string, string> Scripts = new(StringComparer.Ordinal)
    {
        ["Latin"] = @"\u0041-\u005A\u0061-\u007A\u00AA\u00BA\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF",
        ["Greek"] = @"\u0370-\u0373\u0375-\u0377\u037A-\u037D\u037F\u0384\u0386\u0388-\u03E1\u03F0-\u03FF\u1F00-\u1FFE",
        ["Cyrillic"] = @"\u0400-\u052F\u2DE0-\u2DFF\uA640-\uA69F",
        ["Armenian"] = @"\u0531-\u058F",
        ["Hebrew"] = @"\u0591-\u05F4\uFB1D-\uFB4F",
        ["Arabic"] = @"\u0600-\u0604\u0606-\u060B\u060D-\u061A\u061C-\u061E\u0620-\u063F\u0641-\u064A\u0656-\u066F\u0671-\u06DC\u06DE-\u06FF\u0750-\u077F",
        ["Devanagari"] = @"\u0900-\u0950\u0955-\u0963\u0966-\u097F",
        ["Thai"] = @"\u0E01-\u0E3A\u0E40-\u0E5B",
        ["Georgian"] = @"\u10A0-\u10FF",
        ["Hangul"] = @"\u1100-\u11FF\u3131-\u318E\uAC00-\uD7A3",
        ["Hiragana"] = @"\u3041-\u3096\u309D-\u309F",
        ["Katakana"] = @"\u30A1-\u30FA\u30FD-\u30FF\u31F0-\u31FF\uFF66-\uFF6F\uFF71-\uFF9D",
        ["Han"] = @"\u2E80-\u2E99\u2E9B-\u2EF3\u2F00-\u2FD5\u3005\u3007\u3021-\u3029\u3038-\u303B\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFA6D\uFA70-\uFAD9",
    };

    private static readonly HashSet<string> Categories = new(StringComparer.Ordinal)
    {
        "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No",
        "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
    };

    private const string SurrogatePair = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";

    private readonly string _src;
    private readonly StringBuilder _out = new();
    private readonly List<string?> _groupNames = [null];
    private int _pos;
    private int _lastRepeatStart;

    private RegexTranslator(string src) => _src = src;

    /// <summary>Translates, or throws <see cref="RegexSyntaxException"/> with Go's message.</summary>
    public static TranslatedRegex Translate(string pattern)
    {
        var t = new RegexTranslator(pattern);
        var flags = new Flags(false, false, false, false);
        t.ParseAlternation(flags, depth: 0);
        if (t._pos < t._src.Length)
        {
            // Only an unmatched ')' stops the top-level parse early.
            throw new RegexSyntaxException("unexpected )", pattern);
        }

        return new TranslatedRegex(t._out.ToString(), t._groupNames);
    }

    private readonly record struct Flags(bool CaseInsensitive, bool MultiLine, bool DotNl, bool Ungreedy);

    private enum Last
    {
        None,
        Atom,
        Repeat,
    }

    /// <summary>Parses until ')' (not consumed) or the end; a bare "(?i)" changes the flags for the rest of this level.</summary>
    private void ParseAlternation(Flags flags, int depth)
    {
        if (depth > 1000)
        {
            throw new RegexSyntaxException("expression nests too deeply", _src);
        }

        var last = Last.None;
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            switch (c)
            {
                case ')':
                    return;
                case '|':
                    _pos++;
                    _out.Append('|');
                    last = Last.None;
                    break;
                case '(':
                    {
                        if (ParseGroup(ref flags, depth))
                        {
                            last = Last.Atom;
                        }
                        else
                        {
                            // A bare flag group matches nothing; a repeat cannot follow it in .NET.
                            last = Last.None;
                        }

                        break;
                    }

                case '*':
                case '+':
                case '?':
                    {
                        var opStart = _pos;
                        _pos++;
                        CheckRepeatable(last, opStart);
                        var lazy = ReadLazy();
                        _out.Append(c);
                        AppendLazy(lazy, flags);
                        last = Last.Repeat;
                        break;
                    }

                case '{':
                    {
                        var opStart = _pos;
                        if (TryParseRepeat(out var min, out var max))
                        {
                            CheckRepeatable(last, opStart);
                            if (min > MaxRepeat || max > MaxRepeat || (max >= 0 && max < min))
                            {
                                throw new RegexSyntaxException("invalid repeat count", _src[opStart.._pos]);
                            }

                            var lazy = ReadLazy();
                            _out.Append('{').Append(min.ToString(CultureInfo.InvariantCulture));
                            if (max != min)
                            {
                                _out.Append(',');
                                if (max >= 0)
                                {
                                    _out.Append(max.ToString(CultureInfo.InvariantCulture));
                                }
                            }

                            _out.Append('}');
                            AppendLazy(lazy, flags);
                            last = Last.Repeat;
                        }
                        else
                        {
                            // Not a valid repeat: a literal brace, as in Go.
                            _pos++;
                            AppendLiteral('{');
                            last = Last.Atom;
                        }

                        break;
                    }

                case '^':
                    _pos++;
                    _out.Append(flags.MultiLine ? "(?:(?m:^))" : @"(?:\A)");
                    last = Last.Atom;
                    break;
                case '$':
                    _pos++;

                    // Go's $ without (?m) is end of text only; .NET's also matches before a final newline.
                    _out.Append(flags.MultiLine ? "(?:(?m:$))" : @"(?:\z)");
                    last = Last.Atom;
                    break;
                case '.':
                    _pos++;
                    _out.Append(flags.DotNl ? "(?:" + SurrogatePair + @"|[\s\S])" : "(?:" + SurrogatePair + @"|[^\n])");
                    last = Last.Atom;
                    break;
                case '[':
                    ParseClass();
                    last = Last.Atom;
                    break;
                case '\\':
                    if (ParseEscapeOutsideClass())
                    {
                        last = Last.Atom;
                    }

                    break;
                default:
                    {
                        var r = ReadRune();
                        AppendLiteral(r);
                        last = Last.Atom;
                        break;
                    }
            }
        }
    }

    private void CheckRepeatable(Last last, int opStart)
    {
        if (last == Last.None)
        {
            throw new RegexSyntaxException("missing argument to repetition operator", _src[opStart.._pos]);
        }

        if (last == Last.Repeat)
        {
            // Go reports the stacked operators from the first one, e.g. `**` or `{2}*`.
            throw new RegexSyntaxException("invalid nested repetition operator", _src[_lastRepeatStart.._pos]);
        }

        _lastRepeatStart = opStart;
    }

    private bool ReadLazy()
    {
        if (_pos < _src.Length && _src[_pos] == '?')
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void AppendLazy(bool lazy, Flags flags)
    {
        // (?U) swaps the meaning of x* and x*?.
        if (lazy != flags.Ungreedy)
        {
            _out.Append('?');
        }
    }

    /// <summary>Go's repeat syntax: {n}, {n,} or {n,m} with decimal digits; anything else is literal text.</summary>
    private bool TryParseRepeat(out int min, out int max)
    {
        min = max = -1;
        var i = _pos + 1;
        var (lo, next) = ReadInt(i);
        if (next == i)
        {
            return false;
        }

        i = next;
        if (i >= _src.Length)
        {
            return false;
        }

        if (_src[i] == ',')
        {
            i++;
            var (hi, after) = ReadInt(i);
            max = after == i ? -1 : hi;
            i = after;
        }
        else
        {
            max = lo;
        }

        if (i >= _src.Length || _src[i] != '}')
        {
            return false;
        }

        min = lo;
        _pos = i + 1;
        return true;
    }

    private (int Value, int Next) ReadInt(int i)
    {
        var start = i;
        long value = 0;
        while (i < _src.Length && _src[i] >= '0' && _src[i] <= '9')
        {
            value = Math.Min((value * 10) + (_src[i] - '0'), int.MaxValue);
            i++;
        }

        // Go rejects leading zeros such as {01} as a repeat (they are then literal text).
        if (i - start > 1 && _src[start] == '0')
        {
            return (0, start);
        }

        return ((int)value, i);
    }

    /// <summary>Parses a group starting at '('. Returns false for a bare flag group "(?i)" that matches nothing.</summary>
    private bool ParseGroup(ref Flags flags, int depth)
    {
        var start = _pos;
        _pos++; // (
        var inner = flags;
        if (_pos < _src.Length && _src[_pos] == '?')
        {
            var rest = _src.AsSpan(_pos);
            if (rest.StartsWith("?P<") || rest.StartsWith("?<"))
            {
                // Lookbehind "(?<=" and "(?<!" land here too and fail as Go fails them: as a bad group name.
                var nameStart = _pos + (rest[1] == 'P' ? 3 : 2);
                var close = _src.IndexOf('>', nameStart);
                if (close < 0)
                {
                    throw new RegexSyntaxException("invalid named capture", _src);
                }

                var name = _src[nameStart..close];
                if (name.Length == 0 || !IsWordName(name))
                {
                    throw new RegexSyntaxException("invalid named capture", _src[start..(close + 1)]);
                }

                if (_groupNames.Contains(name))
                {
                    throw new RegexSyntaxException("duplicate capture group name", _src[start..(close + 1)]);
                }

                _groupNames.Add(name);
                _pos = close + 1;
                _out.Append('(');
            }
            else if (rest.StartsWith("?P=") || rest.StartsWith("?P>"))
            {
                throw new RegexSyntaxException("invalid named capture", _src[start..Math.Min(_src.Length, start + 4)]);
            }
            else
            {
                // Flags: (?flags) or (?flags:re). Go knows i, m, s and U, with one optional '-'.
                var i = _pos + 1;
                var negate = false;
                var sawFlag = false;
                var sawNegation = false;
                while (true)
                {
                    if (i >= _src.Length)
                    {
                        throw new RegexSyntaxException("invalid or unsupported Perl syntax", _src[start..]);
                    }

                    var c = _src[i];
                    if (c is 'i' or 'm' or 's' or 'U')
                    {
                        var on = !negate;
                        inner = c switch
                        {
                            'i' => inner with { CaseInsensitive = on },
                            'm' => inner with { MultiLine = on },
                            's' => inner with { DotNl = on },
                            _ => inner with { Ungreedy = on },
                        };
                        sawFlag = true;
                        i++;
                        continue;
                    }

                    if (c == '-' && !negate)
                    {
                        negate = true;
                        sawNegation = true;
                        sawFlag = false;
                        i++;
                        continue;
                    }

                    if ((c == ':' || c == ')') && (!sawNegation || sawFlag))
                    {
                        _pos = i + 1;
                        if (c == ')')
                        {
                            // (?i) applies to the rest of the enclosing group, as in .NET.
                            flags = inner;
                            _out.Append(CaseFlag(inner));
                            return false;
                        }

                        _out.Append(CaseFlag(inner, open: true));
                        ParseAlternation(inner, depth + 1);
                        ExpectClose();
                        _out.Append(')');
                        return true;
                    }

                    throw new RegexSyntaxException("invalid or unsupported Perl syntax", _src[start..(i + 1)]);
                }
            }
        }
        else
        {
            _groupNames.Add(null);
            _out.Append('(');
        }

        ParseAlternation(inner, depth + 1);
        ExpectClose();
        _out.Append(')');
        return true;
    }

    /// <summary>.NET inline options for case-insensitivity and multiline; s and U are handled by the translation itself.</summary>
    private static string CaseFlag(Flags f, bool open = false)
    {
        var on = (f.CaseInsensitive ? "i" : string.Empty) + (f.MultiLine ? "m" : string.Empty);
        var off = (f.CaseInsensitive ? string.Empty : "i") + (f.MultiLine ? string.Empty : "m");
        var spec = on + (off.Length > 0 ? "-" + off : string.Empty);
        return open ? "(?" + spec + ":" : "(?" + spec + ")";
    }

    private void ExpectClose()
    {
        if (_pos >= _src.Length || _src[_pos] != ')')
        {
            throw new RegexSyntaxException("missing closing )", _src);
        }

        _pos++;
    }

    private static bool IsWordName(string name)
    {
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private int ReadRune()
    {
        var c = _src[_pos];
        if (char.IsHighSurrogate(c) && _pos + 1 < _src.Length && char.IsLowSurrogate(_src[_pos + 1]))
        {
            _pos += 2;
            return char.ConvertToUtf32(c, _src[_pos - 1]);
        }

        _pos++;
        return c;
    }

    private void AppendLiteral(int r)
    {
        if (r > 0xFFFF)
        {
            var s = char.ConvertFromUtf32(r);
            _out.Append("(?:").Append(s).Append(')');
            return;
        }

        AppendClassChar(_out, r);
    }

    /// <summary>Writes one BMP code point safely for use both inside and outside a .NET character class.</summary>
    private static void AppendClassChar(StringBuilder sb, int r)
    {
        if (r < 0x80 && (char.IsAsciiLetterOrDigit((char)r) || r == '_'))
        {
            sb.Append((char)r);
        }
        else
        {
            sb.Append("\\u").Append(r.ToString("X4", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>An escape outside a class. Returns false for \Q\E with nothing inside (emits nothing).</summary>
    private bool ParseEscapeOutsideClass()
    {
        var start = _pos;
        if (_pos + 1 >= _src.Length)
        {
            throw new RegexSyntaxException("trailing backslash at end of expression", string.Empty);
        }

        var c = _src[_pos + 1];
        switch (c)
        {
            case 'A':
                _pos += 2;
                _out.Append(@"(?:\A)");
                return true;
            case 'z':
                _pos += 2;
                _out.Append(@"(?:\z)");
                return true;
            case 'b':
                _pos += 2;
                _out.Append(@"(?:\b)");
                return true;
            case 'B':
                _pos += 2;
                _out.Append(@"(?:\B)");
                return true;
            case 'C':
                _pos += 2;
                _out.Append("(?:" + SurrogatePair + @"|[\s\S])");
                return true;
            case 'Q':
                {
                    _pos += 2;
                    var end = _src.IndexOf(@"\E", _pos, StringComparison.Ordinal);
                    var literal = end < 0 ? _src[_pos..] : _src[_pos..end];
                    _pos = end < 0 ? _src.Length : end + 2;
                    if (literal.Length == 0)
                    {
                        return false;
                    }

                    _out.Append("(?:");
                    foreach (var rune in literal.EnumerateRunes())
                    {
                        AppendLiteral(rune.Value);
                    }

                    _out.Append(')');
                    return true;
                }
        }

        var set = new ClassSet();
        if (TryParseClassEscape(set, start))
        {
            set.Emit(_out, negated: false);
            return true;
        }

        var r = ParseCharEscape(start);
        AppendLiteral(r);
        return true;
    }

    /// <summary>\d \D \s \S \w \W \pX \p{..} \PX \P{..}: adds to <paramref name="set"/>.</summary>
    private bool TryParseClassEscape(ClassSet set, int start)
    {
        if (_pos + 1 >= _src.Length)
        {
            return false;
        }

        var c = _src[_pos + 1];
        switch (c)
        {
            case 'd':
            case 'D':
                set.AddRanges(Digit, negate: c == 'D');
                _pos += 2;
                return true;
            case 's':
            case 'S':
                set.AddRanges(Space, negate: c == 'S');
                _pos += 2;
                return true;
            case 'w':
            case 'W':
                set.AddRanges(Word, negate: c == 'W');
                _pos += 2;
                return true;
            case 'p':
            case 'P':
                {
                    var negate = c == 'P';
                    _pos += 2;
                    if (_pos >= _src.Length)
                    {
                        throw new RegexSyntaxException("invalid character class range", _src[start.._pos]);
                    }

                    string name;
                    if (_src[_pos] == '{')
                    {
                        var close = _src.IndexOf('}', _pos);
                        if (close < 0)
                        {
                            throw new RegexSyntaxException("invalid character class range", _src[start..]);
                        }

                        name = _src[(_pos + 1)..close];
                        _pos = close + 1;
                    }
                    else
                    {
                        name = char.ConvertFromUtf32(ReadRune());
                    }

                    if (name.StartsWith('^'))
                    {
                        negate = !negate;
                        name = name[1..];
                    }

                    if (name == "Any")
                    {
                        set.AddRanges([(0, 0x10FFFF)], negate);
                    }
                    else if (Categories.Contains(name))
                    {
                        set.AddCategory(name, negate);
                    }
                    else if (Scripts.TryGetValue(name, out var ranges))
                    {
                        set.AddScript(ranges, negate);
                    }
                    else
                    {
                        throw new RegexSyntaxException("invalid character class range", _src[start.._pos]);
                    }

                    return true;
                }

            default:
                return false;
        }
    }

    /// <summary>A single-character escape (\n, \x41, \x{1F600}, \101, \., ...). Returns the code point.</summary>
    private int ParseCharEscape(int start)
    {
        _pos++; // backslash
        var c = _src[_pos];
        _pos++;
        switch (c)
        {
            case 'a': return 7;
            case 'f': return '\f';
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'v': return '\v';
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
                // A lone non-zero digit is a backreference, which RE2 does not support.
                if (_pos >= _src.Length || _src[_pos] < '0' || _src[_pos] > '7')
                {
                    break;
                }

                goto case '0';
            case '0':
                {
                    var value = c - '0';
                    for (var i = 1; i < 3 && _pos < _src.Length && _src[_pos] >= '0' && _src[_pos] <= '7'; i++)
                    {
                        value = (value * 8) + (_src[_pos] - '0');
                        _pos++;
                    }

                    return value;
                }

            case 'x':
                {
                    if (_pos >= _src.Length)
                    {
                        break;
                    }

                    if (_src[_pos] == '{')
                    {
                        var close = _src.IndexOf('}', _pos);
                        var hex = close < 0 ? string.Empty : _src[(_pos + 1)..close];
                        if (hex.Length == 0 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) || v > 0x10FFFF)
                        {
                            _pos = close < 0 ? _src.Length : close + 1;
                            break;
                        }

                        _pos = close + 1;
                        return v;
                    }

                    if (_pos + 2 <= _src.Length && int.TryParse(_src.AsSpan(_pos, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                    {
                        _pos += 2;
                        return b;
                    }

                    _pos = Math.Min(_pos + 1, _src.Length);
                    break;
                }

            default:
                // Any escaped ASCII punctuation is that character.
                if (c < 0x80 && !char.IsAsciiLetterOrDigit(c))
                {
                    return c;
                }

                break;
        }

        var endOfRune = _pos;
        throw new RegexSyntaxException("invalid escape sequence", _src[start..endOfRune]);
    }

    private void ParseClass()
    {
        var start = _pos;
        _pos++; // [
        var negated = false;
        if (_pos < _src.Length && _src[_pos] == '^')
        {
            negated = true;
            _pos++;
        }

        var set = new ClassSet();
        var first = true;
        while (true)
        {
            if (_pos >= _src.Length)
            {
                throw new RegexSyntaxException("missing closing ]", _src[start..]);
            }

            var c = _src[_pos];
            if (c == ']' && !first)
            {
                _pos++;
                break;
            }

            first = false;

            if (c == '[' && _pos + 1 < _src.Length && _src[_pos + 1] == ':')
            {
                var close = _src.IndexOf(":]", _pos + 2, StringComparison.Ordinal);
                if (close >= 0)
                {
                    var name = _src[(_pos + 2)..close];
                    var neg = name.StartsWith('^');
                    if (neg)
                    {
                        name = name[1..];
                    }

                    if (!PosixClasses.TryGetValue(name, out var ranges))
                    {
                        throw new RegexSyntaxException("invalid character class range", _src[_pos..(close + 2)]);
                    }

                    set.AddRanges(ranges, neg);
                    _pos = close + 2;
                    continue;
                }
            }

            if (c == '\\' && TryParseClassEscape(set, _pos))
            {
                continue;
            }

            var rangeStart = _pos;
            var lo = ParseClassChar(start);
            var hi = lo;
            if (_pos + 1 < _src.Length && _src[_pos] == '-' && _src[_pos + 1] != ']')
            {
                _pos++;
                hi = ParseClassChar(start);
                if (hi < lo)
                {
                    throw new RegexSyntaxException("invalid character class range", _src[rangeStart.._pos]);
                }
            }

            set.AddRanges([(lo, hi)], negate: false);
        }

        set.Emit(_out, negated);
    }

    private int ParseClassChar(int classStart)
    {
        if (_pos >= _src.Length)
        {
            throw new RegexSyntaxException("missing closing ]", _src[classStart..]);
        }

        if (_src[_pos] == '\\')
        {
            if (_pos + 1 >= _src.Length)
            {
                throw new RegexSyntaxException("trailing backslash at end of expression", string.Empty);
            }

            return ParseCharEscape(_pos);
        }

        return ReadRune();
    }

    /// <summary>The contents of one character class, emitted so that astral code points match whole surrogate pairs.</summary>
    private sealed class ClassSet
    {
        private readonly List<(int Lo, int Hi)> _ranges = [];
        private readonly List<string> _extra = [];

        public void AddRanges(IEnumerable<(int Lo, int Hi)> ranges, bool negate)
        {
            if (!negate)
            {
                _ranges.AddRange(ranges);
                return;
            }

            var next = 0;
            foreach (var (lo, hi) in Normalize(ranges))
            {
                if (lo > next)
                {
                    _ranges.Add((next, lo - 1));
                }

                next = hi + 1;
            }

            if (next <= 0x10FFFF)
            {
                _ranges.Add((next, 0x10FFFF));
            }
        }

        public void AddCategory(string name, bool negate) => _extra.Add((negate ? @"\P{" : @"\p{") + name + "}");

        public void AddScript(string ranges, bool negate)
        {
            if (negate)
            {
                // A negated script inside a class cannot be expressed as a class item in .NET; expand it.
                var parsed = new List<(int, int)>();
                var parts = ranges.Split(@"\u", StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < parts.Length; i++)
                {
                    var lo = int.Parse(parts[i].AsSpan(0, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    var hi = lo;
                    if (parts[i].EndsWith('-') && i + 1 < parts.Length)
                    {
                        hi = int.Parse(parts[i + 1].AsSpan(0, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                        i++;
                    }

                    parsed.Add((lo, hi));
                }

                AddRanges(parsed, negate: true);
                return;
            }

            _extra.Add(ranges);
        }

        private static List<(int Lo, int Hi)> Normalize(IEnumerable<(int Lo, int Hi)> ranges)
        {
            var sorted = ranges.OrderBy(r => r.Lo).ToList();
            var merged = new List<(int Lo, int Hi)>();
            foreach (var r in sorted)
            {
                if (merged.Count > 0 && r.Lo <= merged[^1].Hi + 1)
                {
                    merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, r.Hi));
                }
                else
                {
                    merged.Add(r);
                }
            }

            return merged;
        }

        public void Emit(StringBuilder sb, bool negated)
        {
            var ranges = Normalize(_ranges);
            if (negated && _extra.Count == 0)
            {
                // Complement exactly, so that astral code points are handled like any other.
                var complement = new List<(int Lo, int Hi)>();
                var next = 0;
                foreach (var (lo, hi) in ranges)
                {
                    if (lo > next)
                    {
                        complement.Add((next, lo - 1));
                    }

                    next = hi + 1;
                }

                if (next <= 0x10FFFF)
                {
                    complement.Add((next, 0x10FFFF));
                }

                ranges = complement;
                negated = false;
            }

            var bmp = new StringBuilder();
            var astral = new List<(int Lo, int Hi)>();
            foreach (var (lo, hi) in ranges)
            {
                // Surrogate code points never occur as characters in valid text; leave them out of BMP classes.
                AddBmp(bmp, lo, Math.Min(hi, 0xFFFF));
                if (hi > 0xFFFF)
                {
                    astral.Add((Math.Max(lo, 0x10000), hi));
                }
            }

            foreach (var e in _extra)
            {
                bmp.Append(e);
            }

            if (negated)
            {
                // Categories present: negate in .NET and let any astral code point match as a pair.
                sb.Append("(?:").Append(SurrogatePair).Append("|[^").Append(bmp).Append(@"\uD800-\uDFFF])");
                return;
            }

            var alternatives = new List<string>();
            if (bmp.Length > 0)
            {
                alternatives.Add("[" + bmp + "]");
            }

            foreach (var (lo, hi) in astral)
            {
                AddAstral(alternatives, lo, hi);
            }

            if (alternatives.Count == 0)
            {
                // An empty class matches nothing.
                sb.Append(@"[^\s\S]");
                return;
            }

            sb.Append("(?:").Append(string.Join('|', alternatives)).Append(')');
        }

        private static void AddBmp(StringBuilder bmp, int lo, int hi)
        {
            if (lo > 0xFFFF || hi < lo)
            {
                return;
            }

            // Split around the surrogate block.
            if (lo < 0xD800 && hi >= 0xD800)
            {
                AddBmp(bmp, lo, 0xD7FF);
                AddBmp(bmp, 0xE000, hi);
                return;
            }

            if (lo >= 0xD800 && lo <= 0xDFFF)
            {
                AddBmp(bmp, 0xE000, hi);
                return;
            }

            AppendClassChar(bmp, lo);
            if (hi > lo)
            {
                bmp.Append('-');
                AppendClassChar(bmp, hi);
            }
        }

        private static void AddAstral(List<string> alternatives, int lo, int hi)
        {
            var loS = char.ConvertFromUtf32(lo);
            var hiS = char.ConvertFromUtf32(hi);
            if (loS[0] == hiS[0])
            {
                alternatives.Add($"\\u{(int)loS[0]:X4}[\\u{(int)loS[1]:X4}-\\u{(int)hiS[1]:X4}]");
                return;
            }

            alternatives.Add($"\\u{(int)loS[0]:X4}[\\u{(int)loS[1]:X4}-\\uDFFF]");
            if (hiS[0] - loS[0] > 1)
            {
                alternatives.Add($"[\\u{loS[0] + 1:X4}-\\u{hiS[0] - 1:X4}][\\uDC00-\\uDFFF]");
            }

            alternatives.Add($"\\u{(int)hiS[0]:X4}[\\uDC00-\\u{(int)hiS[1]:X4}]");
        }
    }
}
