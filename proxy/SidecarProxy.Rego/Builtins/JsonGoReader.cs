using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// JSON text to Rego values as Go's encoding/json reads it for json.unmarshal and json.is_valid: numbers kept exact,
/// unpaired surrogate escapes read as U+FFFD, later duplicate keys win, and syntax errors worded as Go words them
/// ("invalid character 'p' looking for beginning of value", "unexpected EOF").
/// </summary>
internal sealed class JsonGoReader
{
    private const int MaxDepth = 10000;

    private readonly string _s;
    private int _i;

    private JsonGoReader(string s) => _s = s;

    public sealed class SyntaxException : Exception
    {
        public SyntaxException(string message)
            : base(message)
        {
        }

        public SyntaxException()
        {
        }

        public SyntaxException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }

    public static RegoValue Parse(string text)
    {
        var reader = new JsonGoReader(text);
        reader.SkipSpace();
        if (reader._i >= text.Length)
        {
            throw new SyntaxException("EOF");
        }

        var value = reader.ReadValue(0);
        reader.SkipSpace();
        if (reader._i < text.Length)
        {
            throw reader.Invalid("after top-level value");
        }

        return value;
    }

    public static bool IsValid(string text)
    {
        try
        {
            Parse(text);
            return true;
        }
        catch (SyntaxException)
        {
            return false;
        }
    }

    private void SkipSpace()
    {
        while (_i < _s.Length && _s[_i] is ' ' or '\t' or '\n' or '\r')
        {
            _i++;
        }
    }

    private SyntaxException Invalid(string context)
    {
        if (_i >= _s.Length)
        {
            return new SyntaxException("unexpected EOF");
        }

        return new SyntaxException($"invalid character {QuoteChar(_s[_i])} {context}");
    }

    private static string QuoteChar(char c) => c switch
    {
        '\'' => "'\\''",
        '"' => "'\"'",
        '\n' => "'\\n'",
        '\r' => "'\\r'",
        '\t' => "'\\t'",
        < ' ' => "'\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) + "'",
        _ => "'" + c + "'",
    };

    private RegoValue ReadValue(int depth)
    {
        if (depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new SyntaxException("exceeded max depth");
        }

        if (_i >= _s.Length)
        {
            throw new SyntaxException("unexpected EOF");
        }

        switch (_s[_i])
        {
            case '{':
                return ReadObject(depth);
            case '[':
                return ReadArray(depth);
            case '"':
                return new RegoString(ReadString());
            case 't':
                ReadLiteral("true");
                return RegoBoolean.True;
            case 'f':
                ReadLiteral("false");
                return RegoBoolean.False;
            case 'n':
                ReadLiteral("null");
                return RegoNull.Instance;
            case '-' or (>= '0' and <= '9'):
                return ReadNumber();
            default:
                throw Invalid("looking for beginning of value");
        }
    }

    private RegoObject ReadObject(int depth)
    {
        _i++;
        var map = new Dictionary<RegoValue, RegoValue>();
        SkipSpace();
        if (_i < _s.Length && _s[_i] == '}')
        {
            _i++;
            return RegoObject.Empty;
        }

        while (true)
        {
            SkipSpace();
            if (_i >= _s.Length || _s[_i] != '"')
            {
                throw Invalid("looking for beginning of object key string");
            }

            var key = ReadString();
            SkipSpace();
            if (_i >= _s.Length || _s[_i] != ':')
            {
                throw Invalid("after object key");
            }

            _i++;
            SkipSpace();
            map[new RegoString(key)] = ReadValue(depth + 1);
            SkipSpace();
            if (_i < _s.Length && _s[_i] == ',')
            {
                _i++;
                continue;
            }

            if (_i < _s.Length && _s[_i] == '}')
            {
                _i++;
                return new RegoObject(map);
            }

            throw Invalid("after object key:value pair");
        }
    }

    private RegoArray ReadArray(int depth)
    {
        _i++;
        var items = new List<RegoValue>();
        SkipSpace();
        if (_i < _s.Length && _s[_i] == ']')
        {
            _i++;
            return RegoArray.Empty;
        }

        while (true)
        {
            SkipSpace();
            items.Add(ReadValue(depth + 1));
            SkipSpace();
            if (_i < _s.Length && _s[_i] == ',')
            {
                _i++;
                continue;
            }

            if (_i < _s.Length && _s[_i] == ']')
            {
                _i++;
                return new RegoArray(items.ToArray());
            }

            throw Invalid("after array element");
        }
    }

    private void ReadLiteral(string literal)
    {
        for (var k = 0; k < literal.Length; k++, _i++)
        {
            if (_i >= _s.Length || _s[_i] != literal[k])
            {
                if (k == 0)
                {
                    throw Invalid("looking for beginning of value");
                }

                throw Invalid($"in literal {literal} (expecting '{literal[k]}')");
            }
        }
    }

    private RegoNumber ReadNumber()
    {
        var start = _i;
        if (_s[_i] == '-')
        {
            _i++;
            if (_i >= _s.Length || !char.IsAsciiDigit(_s[_i]))
            {
                throw Invalid("in numeric literal");
            }
        }

        if (_s[_i] == '0')
        {
            _i++;
        }
        else
        {
            while (_i < _s.Length && char.IsAsciiDigit(_s[_i]))
            {
                _i++;
            }
        }

        if (_i < _s.Length && _s[_i] == '.')
        {
            _i++;
            if (_i >= _s.Length || !char.IsAsciiDigit(_s[_i]))
            {
                throw Invalid("after decimal point in numeric literal");
            }

            while (_i < _s.Length && char.IsAsciiDigit(_s[_i]))
            {
                _i++;
            }
        }

        if (_i < _s.Length && _s[_i] is 'e' or 'E')
        {
            _i++;
            if (_i < _s.Length && _s[_i] is '+' or '-')
            {
                _i++;
            }

            if (_i >= _s.Length || !char.IsAsciiDigit(_s[_i]))
            {
                throw Invalid("in exponent of numeric literal");
            }

            while (_i < _s.Length && char.IsAsciiDigit(_s[_i]))
            {
                _i++;
            }
        }

        var text = _s[start.._i];
        return RegoNumber.TryParse(text, out var n) ? n : throw new SyntaxException($"json: cannot unmarshal number {text}");
    }

    private string ReadString()
    {
        _i++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_i >= _s.Length)
            {
                throw new SyntaxException("unexpected EOF");
            }

            var c = _s[_i];
            if (c == '"')
            {
                _i++;
                return sb.ToString();
            }

            if (c < ' ')
            {
                throw Invalid("in string literal");
            }

            if (c != '\\')
            {
                sb.Append(c);
                _i++;
                continue;
            }

            _i++;
            if (_i >= _s.Length)
            {
                throw new SyntaxException("unexpected EOF");
            }

            switch (_s[_i])
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    {
                        var unit = ReadHex4();
                        if (char.IsHighSurrogate(unit) && _i + 6 < _s.Length && _s[_i + 1] == '\\' && _s[_i + 2] == 'u')
                        {
                            var save = _i;
                            _i += 2;
                            var low = ReadHex4();
                            if (char.IsLowSurrogate(low))
                            {
                                sb.Append(unit).Append(low);
                                break;
                            }

                            _i = save;
                        }

                        // An unpaired surrogate is not a character: Go substitutes U+FFFD.
                        sb.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
                        break;
                    }

                default:
                    throw Invalid("in string escape code");
            }

            _i++;
        }
    }

    // Reads the four hex digits after "\u"; leaves _i on the last digit.
    private char ReadHex4()
    {
        var value = 0;
        for (var k = 0; k < 4; k++)
        {
            _i++;
            if (_i >= _s.Length)
            {
                throw new SyntaxException("unexpected EOF");
            }

            var d = _s[_i] switch
            {
                >= '0' and <= '9' => _s[_i] - '0',
                >= 'a' and <= 'f' => _s[_i] - 'a' + 10,
                >= 'A' and <= 'F' => _s[_i] - 'A' + 10,
                _ => throw Invalid("in \\u hexadecimal character escape"),
            };
            value = (value << 4) | d;
        }

        return (char)value;
    }
}
