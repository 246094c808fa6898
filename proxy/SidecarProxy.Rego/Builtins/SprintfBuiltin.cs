using System.Numerics;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// <c>sprintf</c>. OPA hands Go's fmt.Sprintf an int for an integer that fits 64 bits, a *big.Int for a larger
/// integer, a float64 for other numbers, the string for a string, and the Rego text of any other value
/// (so <c>%v</c> of an array prints <c>["a", 1]</c>, and <c>%t</c> of a boolean prints <c>%!t(string=true)</c>).
/// <see cref="SprintfFormatter"/> reproduces Go's formatting of those operands.
/// </summary>
internal static class SprintfBuiltin
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("sprintf", 2, Sprintf);
    }

    private static RegoValue Sprintf(BuiltinContext ctx, RegoValue[] args)
    {
        var format = Operands.String(args, 0);
        var array = Operands.Array(args, 1);
        if (TryPlainStrings(format, array) is { } plain)
        {
            return new RegoString(plain);
        }

        var operands = new SprintfOperand[array.Count];
        for (var i = 0; i < operands.Length; i++)
        {
            operands[i] = ToOperand(array[i]);
        }

        return new RegoString(SprintfFormatter.Format(format, operands));
    }

    /// <summary>
    /// The common case without the general formatter: only <c>%s</c> and <c>%v</c> verbs (no flags, width,
    /// precision or index) each taking a string, and <c>%%</c>, with as many operands as verbs. Go prints such a
    /// string as it is. Null when the format needs the formatter.
    /// </summary>
    private static string? TryPlainStrings(string format, RegoArray operands)
    {
        var length = 0;
        var used = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                length++;
                continue;
            }

            if (++i == format.Length)
            {
                return null;
            }

            switch (format[i])
            {
                case '%':
                    length++;
                    break;
                case 's' or 'v' when used < operands.Count && operands[used] is RegoString s:
                    length += s.Value.Length;
                    used++;
                    break;
                default:
                    return null;
            }
        }

        if (used != operands.Count)
        {
            return null;
        }

        return string.Create(length, (format, operands), static (span, state) =>
        {
            var (fmt, ops) = state;
            var pos = 0;
            var next = 0;
            for (var i = 0; i < fmt.Length; i++)
            {
                var ch = fmt[i];
                if (ch != '%')
                {
                    span[pos++] = ch;
                    continue;
                }

                i++;
                if (fmt[i] == '%')
                {
                    span[pos++] = '%';
                    continue;
                }

                var text = ((RegoString)ops[next++]).Value;
                text.AsSpan().CopyTo(span[pos..]);
                pos += text.Length;
            }
        });
    }

    internal static SprintfOperand ToOperand(RegoValue value)
    {
        switch (value)
        {
            case RegoString s:
                return SprintfOperand.FromString(s.Value);
            case RegoNumber n when n.IsInteger:
                {
                    var i = n.Integer;
                    if (i >= long.MinValue && i <= long.MaxValue)
                    {
                        return SprintfOperand.FromInt((long)i);
                    }

                    // OPA keeps a number's source text; a literal like 2e308 overflows float64 and OPA then prints
                    // that text. Our exact integer model cannot tell 2e308 from its 309 written digits, so values
                    // beyond float64's range print in exponent form, which is how such numbers are written.
                    return double.IsInfinity((double)i) ? SprintfOperand.FromString(ExponentText(i)) : SprintfOperand.FromBig(i);
                }

            case RegoNumber n:
                return SprintfOperand.FromFloat(n.Double);
            default:
                {
                    var sb = new StringBuilder();
                    WriteRegoText(sb, value);
                    return SprintfOperand.FromString(sb.ToString());
                }
        }
    }

    /// <summary>
    /// A value as OPA's ast prints it (Term.String()): like Rego source, with strings quoted by Go's strconv.Quote
    /// (so a control character prints as \x01, not JSON's \u0001).
    /// </summary>
    internal static void WriteRegoText(StringBuilder sb, RegoValue value)
    {
        switch (value)
        {
            case RegoString s:
                sb.Append(SprintfQuote.Quote(s.Value, asciiOnly: false));
                break;
            case RegoArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    WriteRegoText(sb, a[i]);
                }

                sb.Append(']');
                break;
            case RegoSet set:
                if (set.Count == 0)
                {
                    sb.Append("set()");
                    break;
                }

                sb.Append('{');
                for (var i = 0; i < set.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    WriteRegoText(sb, set.Items[i]);
                }

                sb.Append('}');
                break;
            case RegoObject o:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in o.Entries)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    WriteRegoText(sb, k);
                    sb.Append(": ");
                    WriteRegoText(sb, v);
                }

                sb.Append('}');
                break;
            default:
                value.WriteRego(sb);
                break;
        }
    }

    private static string ExponentText(BigInteger value)
    {
        var digits = BigInteger.Abs(value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var exponent = digits.Length - 1;
        var mantissa = digits.TrimEnd('0');
        var sign = value.Sign < 0 ? "-" : string.Empty;
        return mantissa.Length == 1
            ? $"{sign}{mantissa}e{exponent}"
            : $"{sign}{mantissa[0]}.{mantissa[1..]}e{exponent}";
    }
}
