using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// A port of the behaviour of Go's fmt.Sprintf (print.go's doPrintf and format.go) for the operand types OPA
/// passes: flags (<c>+ - # 0 space</c>), width and precision (also <c>*</c>), explicit argument indexes
/// (<c>%[2]d</c>), and Go's error forms (<c>%!d(string=x)</c>, <c>%!d(MISSING)</c>, <c>%!(EXTRA int=1)</c>,
/// <c>%!(NOVERB)</c>, <c>%!(BADINDEX)</c>, <c>%!(BADWIDTH)</c>, <c>%!(BADPREC)</c>).
/// </summary>
internal sealed class SprintfFormatter
{
    private const string LowerDigits = "0123456789abcdefx";
    private const string UpperDigits = "0123456789ABCDEFX";

    private readonly StringBuilder _buf = new();
    private readonly SprintfOperand[] _args;

    private bool _plus;
    private bool _minus;
    private bool _sharp;
    private bool _space;
    private bool _zero;
    private bool _plusV;
    private bool _sharpV;
    private bool _widPresent;
    private bool _precPresent;
    private int _wid;
    private int _prec;
    private bool _reordered;
    private bool _goodArgNum;

    private SprintfFormatter(SprintfOperand[] args) => _args = args;

    public static string Format(string format, SprintfOperand[] args)
    {
        var f = new SprintfFormatter(args);
        f.DoPrintf(format);
        return f._buf.ToString();
    }

    private void ClearFlags()
    {
        _plus = _minus = _sharp = _space = _zero = _plusV = _sharpV = false;
        _widPresent = _precPresent = false;
        _wid = _prec = 0;
    }

    private void DoPrintf(string format)
    {
        var end = format.Length;
        var argNum = 0;
        var afterIndex = false;
        _reordered = false;
        var i = 0;
        while (i < end)
        {
            _goodArgNum = true;
            var lasti = i;
            while (i < end && format[i] != '%')
            {
                i++;
            }

            if (i > lasti)
            {
                _buf.Append(format, lasti, i - lasti);
            }

            if (i >= end)
            {
                break;
            }

            i++; // skip '%'
            ClearFlags();
            for (; i < end; i++)
            {
                var c = format[i];
                if (c == '#')
                {
                    _sharp = true;
                }
                else if (c == '0')
                {
                    _zero = !_minus;
                }
                else if (c == '+')
                {
                    _plus = true;
                }
                else if (c == '-')
                {
                    _minus = true;
                    _zero = false;
                }
                else if (c == ' ')
                {
                    _space = true;
                }
                else
                {
                    break;
                }
            }

            (argNum, i, afterIndex) = ArgNumber(argNum, format, i);

            if (i < end && format[i] == '*')
            {
                i++;
                (_wid, _widPresent, argNum) = IntFromArg(argNum);
                if (!_widPresent)
                {
                    _buf.Append("%!(BADWIDTH)");
                }

                if (_wid < 0)
                {
                    _wid = -_wid;
                    _minus = true;
                    _zero = false;
                }

                afterIndex = false;
            }
            else
            {
                (_wid, _widPresent, i) = ParseNum(format, i, end);
                if (afterIndex && _widPresent)
                {
                    _goodArgNum = false;
                }
            }

            if (i + 1 <= end && i < end && format[i] == '.')
            {
                i++;
                if (afterIndex)
                {
                    _goodArgNum = false;
                }

                (argNum, i, afterIndex) = ArgNumber(argNum, format, i);
                if (i < end && format[i] == '*')
                {
                    i++;
                    (_prec, _precPresent, argNum) = IntFromArg(argNum);
                    if (_prec < 0)
                    {
                        _prec = 0;
                        _precPresent = false;
                    }

                    if (!_precPresent)
                    {
                        _buf.Append("%!(BADPREC)");
                    }

                    afterIndex = false;
                }
                else
                {
                    (_prec, _precPresent, i) = ParseNum(format, i, end);
                    if (!_precPresent)
                    {
                        _prec = 0;
                        _precPresent = true;
                    }
                }
            }

            if (!afterIndex)
            {
                (argNum, i, afterIndex) = ArgNumber(argNum, format, i);
            }

            if (i >= end)
            {
                _buf.Append("%!(NOVERB)");
                break;
            }

            var verb = (int)format[i];
            var size = 1;
            if (char.IsHighSurrogate(format[i]) && i + 1 < end && char.IsLowSurrogate(format[i + 1]))
            {
                verb = char.ConvertToUtf32(format[i], format[i + 1]);
                size = 2;
            }

            i += size;

            if (verb == '%')
            {
                _buf.Append('%');
            }
            else if (!_goodArgNum)
            {
                BadArgNum(verb);
            }
            else if (argNum >= _args.Length)
            {
                _buf.Append("%!");
                AppendRune(verb);
                _buf.Append("(MISSING)");
            }
            else
            {
                if (verb == 'v')
                {
                    _sharpV = _sharp;
                    _sharp = false;
                    _plusV = _plus;
                    _plus = false;
                }

                PrintArg(_args[argNum], verb);
                argNum++;
            }
        }

        if (!_reordered && argNum < _args.Length)
        {
            ClearFlags();
            _buf.Append("%!(EXTRA ");
            for (var k = argNum; k < _args.Length; k++)
            {
                if (k > argNum)
                {
                    _buf.Append(", ");
                }

                _buf.Append(_args[k].GoTypeName).Append('=');
                PrintArg(_args[k], 'v');
            }

            _buf.Append(')');
        }
    }

    private void BadArgNum(int verb)
    {
        _buf.Append("%!");
        AppendRune(verb);
        _buf.Append("(BADINDEX)");
    }

    private void AppendRune(int rune) => StringRunes.AppendRune(_buf, rune);

    private static (int Num, bool IsNum, int NewI) ParseNum(string s, int start, int end)
    {
        if (start >= end)
        {
            return (0, false, end);
        }

        var num = 0;
        var isNum = false;
        var i = start;
        for (; i < end && s[i] >= '0' && s[i] <= '9'; i++)
        {
            // Go gives up on absurd widths rather than overflow.
            if (num > 1_000_000)
            {
                return (0, false, end);
            }

            num = (num * 10) + (s[i] - '0');
            isNum = true;
        }

        return (num, isNum, i);
    }

    private (int ArgNum, int NewI, bool Found) ArgNumber(int argNum, string format, int i)
    {
        if (format.Length <= i || format[i] != '[')
        {
            return (argNum, i, false);
        }

        _reordered = true;
        var (index, wid, ok) = ParseArgNumber(format, i);
        if (ok && index >= 0 && index < _args.Length)
        {
            return (index, i + wid, true);
        }

        _goodArgNum = false;
        return (argNum, i + wid, ok);
    }

    private static (int Index, int Wid, bool Ok) ParseArgNumber(string format, int start)
    {
        if (format.Length - start < 3)
        {
            return (0, 1, false);
        }

        for (var i = start + 1; i < format.Length; i++)
        {
            if (format[i] == ']')
            {
                var (width, ok, newi) = ParseNum(format, start + 1, i);
                if (!ok || newi != i)
                {
                    return (0, i - start + 1, false);
                }

                return (width - 1, i - start + 1, true);
            }
        }

        return (0, 1, false);
    }

    private (int Value, bool IsInt, int NewArgNum) IntFromArg(int argNum)
    {
        if (argNum >= _args.Length)
        {
            return (0, false, argNum);
        }

        var arg = _args[argNum];
        if (arg.Kind != SprintfKind.Int)
        {
            return (0, false, argNum + 1);
        }

        var v = arg.Integer;
        if (v > 1_000_000 || v < -1_000_000)
        {
            return (0, false, argNum + 1);
        }

        return ((int)v, true, argNum + 1);
    }

    private void PrintArg(SprintfOperand arg, int verb)
    {
        if (verb == 'T')
        {
            FmtS(arg.GoTypeName);
            return;
        }

        switch (arg.Kind)
        {
            case SprintfKind.Int:
                PrintInteger(arg.Integer, verb, arg);
                break;
            case SprintfKind.BigInt:
                PrintBigInt(arg.Integer, verb);
                break;
            case SprintfKind.Float:
                PrintFloat(arg.Float, verb, arg);
                break;
            default:
                PrintString(arg.Text, verb, arg);
                break;
        }
    }

    private void BadVerb(int verb, SprintfOperand arg)
    {
        _buf.Append("%!");
        AppendRune(verb);
        _buf.Append('(').Append(arg.GoTypeName).Append('=');
        PrintArg(arg, 'v');
        _buf.Append(')');
    }

    private void PrintInteger(BigInteger v, int verb, SprintfOperand arg)
    {
        switch (verb)
        {
            case 'v':
            case 'd':
                FmtInteger(v, 10, verb, LowerDigits);
                break;
            case 'b':
                FmtInteger(v, 2, verb, LowerDigits);
                break;
            case 'o':
            case 'O':
                FmtInteger(v, 8, verb, LowerDigits);
                break;
            case 'x':
                FmtInteger(v, 16, verb, LowerDigits);
                break;
            case 'X':
                FmtInteger(v, 16, verb, UpperDigits);
                break;
            case 'c':
                Pad(RuneText(v));
                break;
            case 'q':
                Pad(QuoteRune(v));
                break;
            case 'U':
                FmtUnicode(v);
                break;
            default:
                BadVerb(verb, arg);
                break;
        }
    }

    /// <summary>math/big's Int.Format: the integer verbs plus 's' and 'v' as decimal; anything else is "%!f(big.Int=1)".</summary>
    private void PrintBigInt(BigInteger v, int verb)
    {
        switch (verb)
        {
            case 'b':
                FmtInteger(v, 2, verb, LowerDigits);
                break;
            case 'o':
            case 'O':
                FmtInteger(v, 8, verb, LowerDigits);
                break;
            case 'd':
            case 's':
            case 'v':
                FmtInteger(v, 10, verb, LowerDigits);
                break;
            case 'x':
                FmtInteger(v, 16, verb, LowerDigits);
                break;
            case 'X':
                FmtInteger(v, 16, verb, UpperDigits);
                break;
            default:
                _buf.Append("%!");
                AppendRune(verb);
                _buf.Append("(big.Int=").Append(v.ToString(CultureInfo.InvariantCulture)).Append(')');
                break;
        }
    }

    private void FmtInteger(BigInteger value, int radix, int verb, string digits)
    {
        var negative = value.Sign < 0;
        var u = BigInteger.Abs(value);
        var prec = 0;
        if (_precPresent)
        {
            prec = _prec;

            // Precision 0 and value 0 print nothing but padding.
            if (prec == 0 && u.IsZero)
            {
                var oldZero = _zero;
                _zero = false;
                WritePadding(_wid);
                _zero = oldZero;
                return;
            }
        }
        else if (_zero && !_minus && _widPresent)
        {
            prec = _wid;
            if (negative || _plus || _space)
            {
                prec--; // leave room for the sign
            }
        }

        var body = StringBuiltins.FormatBigInteger(u, radix, upper: ReferenceEquals(digits, UpperDigits));
        var sb = new StringBuilder();
        if (prec > body.Length)
        {
            sb.Append('0', prec - body.Length);
        }

        sb.Append(body);
        var text = sb.ToString();
        if (_sharp)
        {
            switch (radix)
            {
                case 2:
                    text = "0b" + text;
                    break;
                case 8:
                    if (text[0] != '0')
                    {
                        text = "0" + text;
                    }

                    break;
                case 16:
                    text = "0" + digits[16] + text;
                    break;
            }
        }

        if (verb == 'O')
        {
            text = "0o" + text;
        }

        if (negative)
        {
            text = "-" + text;
        }
        else if (_plus)
        {
            text = "+" + text;
        }
        else if (_space)
        {
            text = " " + text;
        }

        var old = _zero;
        _zero = false;
        Pad(text);
        _zero = old;
    }

    private static string RuneText(BigInteger v)
    {
        var r = v >= 0 && v <= 0x10FFFF && Rune.IsValid((int)v) ? (int)v : 0xFFFD;
        return char.ConvertFromUtf32(r);
    }

    private string QuoteRune(BigInteger v)
    {
        var r = v >= 0 && v <= 0x10FFFF && Rune.IsValid((int)v) ? (int)v : 0xFFFD;
        var sb = new StringBuilder("'");
        SprintfQuote.AppendEscapedRune(sb, r, '\'', asciiOnly: _plus);
        sb.Append('\'');
        return sb.ToString();
    }

    private void FmtUnicode(BigInteger v)
    {
        var hex = StringBuiltins.FormatBigInteger(BigInteger.Abs(v), 16, upper: true);
        var prec = _precPresent && _prec > 4 ? _prec : 4;
        var text = "U+" + hex.PadLeft(prec, '0');
        if (_sharp && v >= 0 && v <= 0x10FFFF && Rune.IsValid((int)v) && SprintfQuote.IsPrint((int)v))
        {
            text += " '" + char.ConvertFromUtf32((int)v) + "'";
        }

        var old = _zero;
        _zero = false;
        Pad(text);
        _zero = old;
    }

    private void PrintFloat(double v, int verb, SprintfOperand arg)
    {
        switch (verb)
        {
            case 'v':
                FmtFloat(v, 'g', -1);
                break;
            case 'g':
            case 'G':
            case 'b':
            case 'x':
            case 'X':
                FmtFloat(v, (char)verb, -1);
                break;
            case 'f':
            case 'F':
            case 'e':
            case 'E':
                FmtFloat(v, (char)verb, 6);
                break;
            default:
                BadVerb(verb, arg);
                break;
        }
    }

    private void FmtFloat(double v, char verb, int prec)
    {
        if (_precPresent && verb is not ('b' or 'x' or 'X'))
        {
            prec = _prec;
        }

        var body = SprintfFloat.FormatAbs(v, verb, prec);
        if (verb is 'F')
        {
            verb = 'f';
        }

        var sign = v < 0 || (v == 0 && double.IsNegative(v)) ? '-' : '+';
        if (_space && sign == '+' && !_plus)
        {
            sign = ' ';
        }

        if (double.IsInfinity(v) || double.IsNaN(v))
        {
            var old = _zero;
            _zero = false;
            Pad(sign == '+' && !_plus ? body : sign + body);
            _zero = old;
            return;
        }

        if (_plus || sign != '+')
        {
            var num = sign + body;
            if (_zero && !_minus && _widPresent && _wid > num.Length)
            {
                _buf.Append(sign);
                WritePadding(_wid - num.Length);
                _buf.Append(body);
                return;
            }

            Pad(num);
            return;
        }

        Pad(body);
    }

    private void PrintString(string s, int verb, SprintfOperand arg)
    {
        switch (verb)
        {
            case 'v':
                if (_sharpV)
                {
                    FmtQ(s);
                }
                else
                {
                    FmtS(s);
                }

                break;
            case 's':
                FmtS(s);
                break;
            case 'x':
                FmtSx(s, LowerDigits);
                break;
            case 'X':
                FmtSx(s, UpperDigits);
                break;
            case 'q':
                FmtQ(s);
                break;
            default:
                BadVerb(verb, arg);
                break;
        }
    }

    private string Truncate(string s)
    {
        if (_precPresent)
        {
            var offset = StringRunes.Utf16Offset(s, _prec);
            return s[..offset];
        }

        return s;
    }

    private void FmtS(string s) => Pad(Truncate(s));

    private void FmtSx(string s, string digits)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var length = _precPresent && _prec < bytes.Length ? _prec : bytes.Length;
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            if (_space && i > 0)
            {
                sb.Append(' ');
            }

            if (_sharp && (_space || i == 0))
            {
                sb.Append('0').Append(digits[16]);
            }

            sb.Append(digits[bytes[i] >> 4]).Append(digits[bytes[i] & 0xF]);
        }

        Pad(sb.ToString());
    }

    private void FmtQ(string s)
    {
        s = Truncate(s);
        if (_sharp && SprintfQuote.CanBackquote(s))
        {
            Pad("`" + s + "`");
            return;
        }

        Pad(SprintfQuote.Quote(s, asciiOnly: _plus));
    }

    private void WritePadding(int n)
    {
        if (n <= 0)
        {
            return;
        }

        _buf.Append(_zero ? '0' : ' ', n);
    }

    /// <summary>Pads to the width in code points: left by default, right with '-'.</summary>
    private void Pad(string s)
    {
        if (!_widPresent || _wid == 0)
        {
            _buf.Append(s);
            return;
        }

        var width = _wid - StringRunes.Count(s);
        if (!_minus)
        {
            WritePadding(width);
            _buf.Append(s);
        }
        else
        {
            _buf.Append(s);
            var old = _zero;
            _zero = false;
            WritePadding(width);
            _zero = old;
        }
    }
}
