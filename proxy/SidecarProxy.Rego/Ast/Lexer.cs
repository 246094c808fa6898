using System.Globalization;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Ast;

internal enum TokenKind
{
    Eof,
    Ident,
    Number,
    String,
    Template,
    Assign,      // :=
    Unify,       // =
    Eq,          // ==
    Neq,         // !=
    Lt,
    Lte,
    Gt,
    Gte,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Bar,
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Semicolon,
    Colon,
    Dot,
}

/// <summary>One part of a template string: literal text, or the source of an embedded expression.</summary>
internal sealed record TemplatePart(string? Literal, string? Source, int Line, int Column, int Offset);

internal sealed class Token
{
    public TokenKind Kind { get; init; }

    public string Text { get; init; } = string.Empty;

    public RegoValue? Value { get; init; }

    public IReadOnlyList<TemplatePart>? Parts { get; init; }

    public int Line { get; init; }

    public int Column { get; init; }

    public int Offset { get; init; }

    public int End { get; init; }

    /// <summary>A newline separates this token from the previous one.</summary>
    public bool NewlineBefore { get; init; }

    /// <summary>Whitespace or a comment separates this token from the previous one.</summary>
    public bool SpaceBefore { get; init; }

    public override string ToString() => Kind switch
    {
        TokenKind.Eof => "eof",
        TokenKind.String => "string",
        TokenKind.Number => "number",
        _ => Text,
    };
}

internal sealed class RegoSyntaxException : Exception
{
    public RegoSyntaxException(string message, int line, int column)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    public RegoSyntaxException()
    {
    }

    public RegoSyntaxException(string message)
        : base(message)
    {
    }

    public RegoSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Line { get; }

    public int Column { get; }
}

/// <summary>Splits Rego source into tokens, keeping positions and whether a newline precedes each token.</summary>
internal sealed class Lexer
{
    private readonly string _src;
    private readonly int _lineBase;
    private readonly int _colBase;
    private int _pos;
    private int _line;
    private int _lineStart;

    public Lexer(string src, int lineBase = 1, int colBase = 1, int offsetBase = 0)
    {
        _src = src;
        _lineBase = lineBase;
        _colBase = colBase;
        OffsetBase = offsetBase;
        _line = 0;
        _lineStart = 0;
    }

    private int OffsetBase { get; }

    public static List<Token> Tokenize(string src, int lineBase = 1, int colBase = 1, int offsetBase = 0) =>
        new Lexer(src, lineBase, colBase, offsetBase).All();

    private int Line => _line + _lineBase;

    private int Col(int pos) => _line == 0 ? pos - _lineStart + _colBase : pos - _lineStart + 1;

    private List<Token> All()
    {
        var list = new List<Token>();
        while (true)
        {
            var t = Next();
            list.Add(t);
            if (t.Kind == TokenKind.Eof)
            {
                return list;
            }
        }
    }

    private void NewLine(int posAfter)
    {
        _line++;
        _lineStart = posAfter;
    }

    private Token Next()
    {
        var newline = false;
        var space = false;
        while (_pos < _src.Length)
        {
            var c = _src[_pos];
            if (c == '\n')
            {
                newline = true;
                space = true;
                _pos++;
                NewLine(_pos);
            }
            else if (c is ' ' or '\t' or '\r')
            {
                space = true;
                _pos++;
            }
            else if (c == '#')
            {
                space = true;
                while (_pos < _src.Length && _src[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }

        var start = _pos;
        var line = Line;
        var col = Col(start);
        if (_pos >= _src.Length)
        {
            return new Token { Kind = TokenKind.Eof, Line = line, Column = col, Offset = start + OffsetBase, End = start + OffsetBase, NewlineBefore = newline, SpaceBefore = space };
        }

        var ch = _src[_pos];
        Token Make(TokenKind kind, int len, RegoValue? value = null, IReadOnlyList<TemplatePart>? parts = null)
        {
            var text = _src.Substring(start, len);
            _pos = start + len;
            return new Token { Kind = kind, Text = text, Value = value, Parts = parts, Line = line, Column = col, Offset = start + OffsetBase, End = _pos + OffsetBase, NewlineBefore = newline, SpaceBefore = space };
        }

        Token MakeTo(TokenKind kind, int end, RegoValue? value = null, IReadOnlyList<TemplatePart>? parts = null) =>
            new() { Kind = kind, Text = _src[start..end], Value = value, Parts = parts, Line = line, Column = col, Offset = start + OffsetBase, End = end + OffsetBase, NewlineBefore = newline, SpaceBefore = space };

        if (char.IsAsciiLetter(ch) || ch == '_')
        {
            var e = _pos + 1;
            while (e < _src.Length && (char.IsAsciiLetterOrDigit(_src[e]) || _src[e] == '_'))
            {
                e++;
            }

            return Make(TokenKind.Ident, e - start);
        }

        if (char.IsAsciiDigit(ch) || (ch == '.' && _pos + 1 < _src.Length && char.IsAsciiDigit(_src[_pos + 1]) && !IsRefContext()))
        {
            var e = _pos;
            while (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                e++;
            }

            if (e < _src.Length - 1 && _src[e] == '.' && char.IsAsciiDigit(_src[e + 1]))
            {
                e++;
                while (e < _src.Length && char.IsAsciiDigit(_src[e]))
                {
                    e++;
                }
            }

            if (e < _src.Length && (_src[e] == 'e' || _src[e] == 'E'))
            {
                var e2 = e + 1;
                if (e2 < _src.Length && (_src[e2] == '+' || _src[e2] == '-'))
                {
                    e2++;
                }

                if (e2 < _src.Length && char.IsAsciiDigit(_src[e2]))
                {
                    e = e2;
                    while (e < _src.Length && char.IsAsciiDigit(_src[e]))
                    {
                        e++;
                    }
                }
            }

            var text = _src[start..e];
            if (!RegoNumber.TryParse(text, out var num))
            {
                throw new RegoSyntaxException($"invalid number {text}", line, col);
            }

            return Make(TokenKind.Number, e - start, num);
        }

        switch (ch)
        {
            case '"':
                {
                    var s = ReadString(ref _pos, out var end);
                    return MakeTo(TokenKind.String, end, new RegoString(s));
                }

            case '`':
                {
                    var e = _src.IndexOf('`', _pos + 1);
                    if (e < 0)
                    {
                        throw new RegoSyntaxException("unexpected eof: unterminated raw string", line, col);
                    }

                    var s = _src[(_pos + 1)..e];
                    CountNewlines(_pos + 1, e);
                    _pos = e + 1;
                    return MakeTo(TokenKind.String, _pos, new RegoString(s));
                }

            case '$':
                if (_pos + 1 < _src.Length && (_src[_pos + 1] == '"' || _src[_pos + 1] == '`'))
                {
                    var parts = ReadTemplate();
                    return MakeTo(TokenKind.Template, _pos, null, parts);
                }

                throw new RegoSyntaxException("illegal token $", line, col);
            case ':':
                return Peek(1) == '=' ? Make(TokenKind.Assign, 2) : Make(TokenKind.Colon, 1);
            case '=':
                return Peek(1) == '=' ? Make(TokenKind.Eq, 2) : Make(TokenKind.Unify, 1);
            case '!':
                if (Peek(1) == '=')
                {
                    return Make(TokenKind.Neq, 2);
                }

                throw new RegoSyntaxException("illegal ! character", line, col);
            case '<':
                return Peek(1) == '=' ? Make(TokenKind.Lte, 2) : Make(TokenKind.Lt, 1);
            case '>':
                return Peek(1) == '=' ? Make(TokenKind.Gte, 2) : Make(TokenKind.Gt, 1);
            case '+': return Make(TokenKind.Plus, 1);
            case '-': return Make(TokenKind.Minus, 1);
            case '*': return Make(TokenKind.Star, 1);
            case '/': return Make(TokenKind.Slash, 1);
            case '%': return Make(TokenKind.Percent, 1);
            case '&': return Make(TokenKind.Amp, 1);
            case '|': return Make(TokenKind.Bar, 1);
            case '(': return Make(TokenKind.LParen, 1);
            case ')': return Make(TokenKind.RParen, 1);
            case '[': return Make(TokenKind.LBrack, 1);
            case ']': return Make(TokenKind.RBrack, 1);
            case '{': return Make(TokenKind.LBrace, 1);
            case '}': return Make(TokenKind.RBrace, 1);
            case ',': return Make(TokenKind.Comma, 1);
            case ';': return Make(TokenKind.Semicolon, 1);
            case '.': return Make(TokenKind.Dot, 1);
            default:
                throw new RegoSyntaxException($"illegal token {ch}", line, col);
        }
    }

    private bool IsRefContext() => _pos > 0 && (char.IsAsciiLetterOrDigit(_src[_pos - 1]) || _src[_pos - 1] is '_' or ']' or ')' or '}');

    private char Peek(int n) => _pos + n < _src.Length ? _src[_pos + n] : '\0';

    private void CountNewlines(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (_src[i] == '\n')
            {
                NewLine(i + 1);
            }
        }
    }

    /// <summary>Reads a double-quoted string starting at <paramref name="pos"/>; returns its value.</summary>
    private string ReadString(ref int pos, out int end)
    {
        var line = Line;
        var col = Col(pos);
        var sb = new StringBuilder();
        var i = pos + 1;
        while (true)
        {
            if (i >= _src.Length || _src[i] == '\n')
            {
                throw new RegoSyntaxException("non-terminated string", line, col);
            }

            var c = _src[i];
            if (c == '"')
            {
                end = i + 1;
                pos = end;
                return sb.ToString();
            }

            if (c == '\\')
            {
                i = ReadEscape(i, sb, line, col);
                continue;
            }

            sb.Append(c);
            i++;
        }
    }

    private int ReadEscape(int i, StringBuilder sb, int line, int col)
    {
        if (i + 1 >= _src.Length)
        {
            throw new RegoSyntaxException("non-terminated string", line, col);
        }

        var e = _src[i + 1];
        switch (e)
        {
            case '"': sb.Append('"'); return i + 2;
            case '\\': sb.Append('\\'); return i + 2;
            case '/': sb.Append('/'); return i + 2;
            case 'b': sb.Append('\b'); return i + 2;
            case 'f': sb.Append('\f'); return i + 2;
            case 'n': sb.Append('\n'); return i + 2;
            case 'r': sb.Append('\r'); return i + 2;
            case 't': sb.Append('\t'); return i + 2;
            case 'u':
                if (i + 6 <= _src.Length && int.TryParse(_src.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp))
                {
                    sb.Append((char)cp);
                    return i + 6;
                }

                throw new RegoSyntaxException("illegal unicode escape in string", line, col);
            default:
                throw new RegoSyntaxException($"illegal escape sequence \\{e} in string", line, col);
        }
    }

    private List<TemplatePart> ReadTemplate()
    {
        var line = Line;
        var col = Col(_pos);
        var raw = _src[_pos + 1] == '`';
        var close = raw ? '`' : '"';
        var parts = new List<TemplatePart>();
        var sb = new StringBuilder();
        var i = _pos + 2;
        while (true)
        {
            if (i >= _src.Length || (!raw && _src[i] == '\n'))
            {
                throw new RegoSyntaxException("non-terminated template string", line, col);
            }

            var c = _src[i];
            if (c == close)
            {
                if (sb.Length > 0)
                {
                    parts.Add(new TemplatePart(sb.ToString(), null, 0, 0, 0));
                }

                _pos = i + 1;
                return parts;
            }

            if (c == '\\')
            {
                if (i + 1 < _src.Length && _src[i + 1] == '{')
                {
                    sb.Append('{');
                    i += 2;
                    continue;
                }

                if (raw)
                {
                    sb.Append(c);
                    i++;
                    continue;
                }

                i = ReadEscape(i, sb, line, col);
                continue;
            }

            if (c == '{')
            {
                if (sb.Length > 0)
                {
                    parts.Add(new TemplatePart(sb.ToString(), null, 0, 0, 0));
                    sb.Clear();
                }

                var exprStart = i + 1;
                var exprLine = Line;
                var exprCol = Col(exprStart);
                var endExpr = SkipExpression(exprStart, line, col);
                parts.Add(new TemplatePart(null, _src[exprStart..endExpr], exprLine, exprCol, exprStart + OffsetBase));
                CountNewlines(exprStart, endExpr);
                i = endExpr + 1;
                continue;
            }

            if (c == '\n')
            {
                NewLine(i + 1);
            }

            sb.Append(c);
            i++;
        }
    }

    /// <summary>Finds the '}' closing a template expression that starts at <paramref name="i"/>, skipping nested strings and braces.</summary>
    private int SkipExpression(int i, int line, int col)
    {
        var depth = 0;
        while (i < _src.Length)
        {
            var c = _src[i];
            switch (c)
            {
                case '{':
                    depth++;
                    i++;
                    break;
                case '}':
                    if (depth == 0)
                    {
                        return i;
                    }

                    depth--;
                    i++;
                    break;
                case '"':
                    {
                        var p = i;
                        ReadString(ref p, out var end);
                        i = end;
                        break;
                    }

                case '`':
                    {
                        var e = _src.IndexOf('`', i + 1);
                        if (e < 0)
                        {
                            throw new RegoSyntaxException("non-terminated template string", line, col);
                        }

                        i = e + 1;
                        break;
                    }

                case '$' when i + 1 < _src.Length && (_src[i + 1] == '"' || _src[i + 1] == '`'):
                    {
                        i = SkipTemplate(i, line, col);
                        break;
                    }

                default:
                    i++;
                    break;
            }
        }

        throw new RegoSyntaxException("non-terminated template string", line, col);
    }

    private int SkipTemplate(int i, int line, int col)
    {
        var close = _src[i + 1] == '`' ? '`' : '"';
        i += 2;
        while (i < _src.Length)
        {
            var c = _src[i];
            if (c == close)
            {
                return i + 1;
            }

            if (c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == '{')
            {
                i = SkipExpression(i + 1, line, col) + 1;
                continue;
            }

            i++;
        }

        throw new RegoSyntaxException("non-terminated template string", line, col);
    }
}
