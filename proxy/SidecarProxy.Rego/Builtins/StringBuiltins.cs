using System.Globalization;
using System.Numerics;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// String builtins (OPA's v1/topdown/strings.go). Character positions and lengths are in code points (Go runes),
/// not UTF-16 units, so results agree with OPA for text outside the BMP.
/// </summary>
internal static class StringBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("concat", 2, Concat);
        registry.Add("contains", 2, (_, a) => RegoValue.From(Operands.String(a, 0).Contains(Operands.String(a, 1), StringComparison.Ordinal)));
        registry.Add("startswith", 2, (_, a) => RegoValue.From(Operands.String(a, 0).StartsWith(Operands.String(a, 1), StringComparison.Ordinal)));
        registry.Add("endswith", 2, (_, a) => RegoValue.From(Operands.String(a, 0).EndsWith(Operands.String(a, 1), StringComparison.Ordinal)));
        registry.Add("format_int", 2, FormatInt);
        registry.Add("indexof", 2, IndexOf);
        registry.Add("indexof_n", 2, IndexOfN);
        registry.Add("lower", 1, (_, a) => Same(a, 0, Lower(Operands.String(a, 0))));
        registry.Add("upper", 1, (_, a) => Same(a, 0, Upper(Operands.String(a, 0))));
        registry.Add("replace", 3, Replace);
        registry.Add("split", 2, Split);
        registry.Add("substring", 3, Substring);
        registry.Add("trim", 2, (_, a) => Same(a, 0, TrimCutset(Operands.String(a, 0), Operands.String(a, 1), left: true, right: true)));
        registry.Add("trim_left", 2, (_, a) => Same(a, 0, TrimCutset(Operands.String(a, 0), Operands.String(a, 1), left: true, right: false)));
        registry.Add("trim_right", 2, (_, a) => Same(a, 0, TrimCutset(Operands.String(a, 0), Operands.String(a, 1), left: false, right: true)));
        registry.Add("trim_prefix", 2, TrimPrefix);
        registry.Add("trim_suffix", 2, TrimSuffix);
        registry.Add("trim_space", 1, (_, a) => Same(a, 0, TrimSpace(Operands.String(a, 0))));
        registry.Add("strings.any_prefix_match", 2, (_, a) => AnyMatch(a, suffix: false));
        registry.Add("strings.any_suffix_match", 2, (_, a) => AnyMatch(a, suffix: true));
        registry.Add("strings.replace_n", 2, ReplaceN);
        registry.Add("strings.reverse", 1, Reverse);
        registry.Add("strings.count", 2, Count);
        StringTemplate.Register(registry);
    }

    /// <summary>
    /// Go's strings.ToLower: Unicode simple case mapping per code point. .NET's invariant mapping agrees except
    /// that it leaves the Turkic dotted capital I alone.
    /// </summary>
    internal static string Lower(string s) => s.ToLowerInvariant().Replace('\u0130', 'i');

    /// <summary>Go's strings.ToUpper; .NET's invariant mapping leaves dotless i and long s alone, Go does not.</summary>
    internal static string Upper(string s) => s.ToUpperInvariant().Replace('\u0131', 'I').Replace('\u017F', 'S');

    /// <summary>Returns the operand itself when the result is unchanged, as OPA does (saves an allocation).</summary>
    private static RegoValue Same(RegoValue[] args, int index, string result) =>
        string.Equals(((RegoString)args[index]).Value, result, StringComparison.Ordinal) ? args[index] : new RegoString(result);

    private static RegoValue Concat(BuiltinContext ctx, RegoValue[] args)
    {
        var separator = Operands.String(args, 0);
        ReadOnlySpan<RegoValue> items = args[1] switch
        {
            RegoArray a => a.Items,
            RegoSet s => s.Items,
            _ => throw Operands.TypeError(args, 1, "one of {set, array}"),
        };

        var length = 0L;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is not RegoString s)
            {
                throw ElementError(2, args[1], items[i], "string");
            }

            length += s.Value.Length + (i > 0 ? separator.Length : 0);
        }

        if (length > int.MaxValue)
        {
            throw new BuiltinErrorException("concat: result too long");
        }

        // Measured first, then written once: no builder growing through copies.
        return new RegoString(string.Create((int)length, (separator, args[1]), static (span, state) =>
        {
            ReadOnlySpan<RegoValue> parts = state.Item2 is RegoArray a ? a.Items : ((RegoSet)state.Item2).Items;
            var pos = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                if (i > 0)
                {
                    state.separator.AsSpan().CopyTo(span[pos..]);
                    pos += state.separator.Length;
                }

                var text = ((RegoString)parts[i]).Value;
                text.AsSpan().CopyTo(span[pos..]);
                pos += text.Length;
            }
        }));
    }

    /// <summary>OPA's NewOperandElementErr: "operand 2 must be array of strings but got array containing number".</summary>
    internal static BuiltinTypeException ElementError(int position, RegoValue composite, RegoValue element, string expected) =>
        new($"operand {position} must be {composite.TypeName} of {expected}s but got {composite.TypeName} containing {element.TypeName}");

    private static RegoValue FormatInt(BuiltinContext ctx, RegoValue[] args)
    {
        var input = Operands.Number(args, 0);
        var baseOperand = Operands.Number(args, 1);
        int radix = baseOperand.IsInteger && baseOperand.Integer is var b && (b == 2 || b == 8 || b == 10 || b == 16)
            ? (int)b
            : throw new BuiltinTypeException("operand 2 must be one of {2, 8, 10, 16}");

        // Go's big.Float.Int truncates toward zero.
        var value = input.Integer;
        return new RegoString(FormatBigInteger(value, radix, upper: false));
    }

    /// <summary>Formats an integer in base 2, 8, 10 or 16 with a leading '-' for negatives (Go's %b/%o/%d/%x of a big.Int).</summary>
    internal static string FormatBigInteger(BigInteger value, int radix, bool upper)
    {
        if (radix == 10)
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        var negative = value.Sign < 0;
        var magnitude = BigInteger.Abs(value);
        if (magnitude.IsZero)
        {
            return "0";
        }

        var digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        var sb = new StringBuilder();
        while (!magnitude.IsZero)
        {
            magnitude = BigInteger.DivRem(magnitude, radix, out var rem);
            sb.Append(digits[(int)rem]);
        }

        if (negative)
        {
            sb.Append('-');
        }

        var chars = sb.ToString().ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    private static RegoValue IndexOf(BuiltinContext ctx, RegoValue[] args)
    {
        var haystack = Operands.String(args, 0);
        var needle = Operands.String(args, 1);
        if (needle.Length == 0)
        {
            throw new BuiltinErrorException("empty search character");
        }

        var index = haystack.IndexOf(needle, StringComparison.Ordinal);
        return RegoNumber.FromLong(index < 0 ? -1 : StringRunes.RuneIndex(haystack, index));
    }

    private static RegoValue IndexOfN(BuiltinContext ctx, RegoValue[] args)
    {
        var haystack = Operands.String(args, 0);
        var needle = Operands.String(args, 1);
        if (needle.Length == 0)
        {
            throw new BuiltinErrorException("empty search character");
        }

        // Overlapping matches are reported, as in OPA (indexof_n("aaa", "aa") is [0, 1]).
        var result = new List<RegoValue>();
        var start = 0;
        while (start <= haystack.Length)
        {
            var index = haystack.IndexOf(needle, start, StringComparison.Ordinal);
            if (index < 0)
            {
                break;
            }

            result.Add(RegoNumber.FromLong(StringRunes.RuneIndex(haystack, index)));
            start = index + (char.IsHighSurrogate(haystack[index]) && index + 1 < haystack.Length ? 2 : 1);
        }

        return new RegoArray(result.ToArray());
    }

    private static RegoValue Replace(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var old = Operands.String(args, 1);
        var replacement = Operands.String(args, 2);
        return Same(args, 0, StringReplacer.Replace(s, [(old, replacement)], ctx.CancellationToken));
    }

    private static RegoValue ReplaceN(BuiltinContext ctx, RegoValue[] args)
    {
        var patterns = Operands.Object(args, 0);
        var s = Operands.String(args, 1);
        var pairs = new List<(string, string)>(patterns.Count);
        foreach (var (key, value) in patterns.Entries)
        {
            if (key is not RegoString k)
            {
                throw new BuiltinTypeException("operand 1 non-string key found in pattern object");
            }

            if (value is not RegoString v)
            {
                throw new BuiltinTypeException("operand 1 non-string value found in pattern object");
            }

            pairs.Add((k.Value, v.Value));
        }

        return new RegoString(pairs.Count == 0 ? s : StringReplacer.Replace(s, pairs, ctx.CancellationToken));
    }

    private static RegoValue Split(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var delimiter = Operands.String(args, 1);
        if (delimiter.Length == 0)
        {
            // Go's strings.Split with an empty separator splits into code points.
            var parts = new List<RegoValue>();
            foreach (var rune in s.EnumerateRunes())
            {
                parts.Add(new RegoString(rune.ToString()));
            }

            return new RegoArray(parts.ToArray());
        }

        if (!s.Contains(delimiter, StringComparison.Ordinal))
        {
            return new RegoArray([args[0]]);
        }

        var pieces = s.Split(delimiter, StringSplitOptions.None);
        var items = new RegoValue[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            items[i] = new RegoString(pieces[i]);
        }

        return new RegoArray(items);
    }

    private static RegoValue Substring(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var start = Int64(args, 1);
        var length = Int64(args, 2);
        if (start < 0)
        {
            throw new BuiltinErrorException("negative offset");
        }

        if (s.Length == 0)
        {
            return RegoString.Empty;
        }

        var from = StringRunes.Utf16Offset(s, (int)Math.Min(start, int.MaxValue));
        if (from >= s.Length)
        {
            return RegoString.Empty;
        }

        // A negative length means "to the end of the string".
        if (length < 0)
        {
            return Same(args, 0, s[from..]);
        }

        var to = StringRunes.Utf16Offset(s, (int)Math.Min(start + Math.Min(length, int.MaxValue), int.MaxValue));
        return Same(args, 0, s[from..to]);
    }

    /// <summary>OPA's IntOperand: an integer that fits 64 bits, else "must be integer number but got floating-point number".</summary>
    internal static long Int64(RegoValue[] args, int index)
    {
        var n = Operands.Number(args, index);
        if (!n.IsInteger || n.Integer < long.MinValue || n.Integer > long.MaxValue)
        {
            throw new BuiltinTypeException($"operand {index + 1} must be integer number but got floating-point number");
        }

        return (long)n.Integer;
    }

    private static RegoValue TrimPrefix(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var prefix = Operands.String(args, 1);
        return s.StartsWith(prefix, StringComparison.Ordinal) && prefix.Length > 0 ? new RegoString(s[prefix.Length..]) : args[0];
    }

    private static RegoValue TrimSuffix(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var suffix = Operands.String(args, 1);
        return s.EndsWith(suffix, StringComparison.Ordinal) && suffix.Length > 0 ? new RegoString(s[..^suffix.Length]) : args[0];
    }

    /// <summary>Go's strings.Trim/TrimLeft/TrimRight: the cutset is a set of code points.</summary>
    internal static string TrimCutset(string s, string cutset, bool left, bool right)
    {
        if (s.Length == 0 || cutset.Length == 0)
        {
            return s;
        }

        var cut = new HashSet<int>();
        foreach (var r in cutset.EnumerateRunes())
        {
            cut.Add(r.Value);
        }

        return TrimWhere(s, r => cut.Contains(r.Value), left, right);
    }

    /// <summary>Go's unicode.IsSpace agrees with .NET's Rune.IsWhiteSpace (White_Space property).</summary>
    internal static string TrimSpace(string s) => TrimWhere(s, Rune.IsWhiteSpace, left: true, right: true);

    private static string TrimWhere(string s, Func<Rune, bool> predicate, bool left, bool right)
    {
        var start = 0;
        var end = s.Length;
        while (left && start < end)
        {
            Rune.DecodeFromUtf16(s.AsSpan(start, end - start), out var r, out var n);
            if (!predicate(r))
            {
                break;
            }

            start += n;
        }

        while (right && end > start)
        {
            Rune.DecodeLastFromUtf16(s.AsSpan(start, end - start), out var r, out var n);
            if (!predicate(r))
            {
                break;
            }

            end -= n;
        }

        return s[start..end];
    }

    private static RegoBoolean AnyMatch(RegoValue[] args, bool suffix)
    {
        var strings = StringList(args, 0);
        var affixes = StringList(args, 1);
        foreach (var s in strings)
        {
            foreach (var affix in affixes)
            {
                if (suffix ? s.EndsWith(affix, StringComparison.Ordinal) : s.StartsWith(affix, StringComparison.Ordinal))
                {
                    return RegoBoolean.True;
                }
            }
        }

        return RegoBoolean.False;
    }

    private static List<string> StringList(RegoValue[] args, int index)
    {
        ReadOnlySpan<RegoValue> items;
        switch (args[index])
        {
            case RegoString s:
                return [s.Value];
            case RegoArray a:
                items = a.Items;
                break;
            case RegoSet set:
                items = set.Items;
                break;
            default:
                throw Operands.TypeError(args, index, "one of {string, set, array}");
        }

        var list = new List<string>(items.Length);
        foreach (var item in items)
        {
            list.Add(item is RegoString s ? s.Value : throw ElementError(index + 1, args[index], item, "string"));
        }

        return list;
    }

    private static RegoValue Reverse(BuiltinContext ctx, RegoValue[] args)
    {
        var runes = StringRunes.ToRunes(Operands.String(args, 0));
        Array.Reverse(runes);
        return new RegoString(StringRunes.FromRunes(runes));
    }

    private static RegoValue Count(BuiltinContext ctx, RegoValue[] args)
    {
        var s = Operands.String(args, 0);
        var sub = Operands.String(args, 1);
        if (sub.Length == 0)
        {
            // Go's strings.Count: an empty substring occurs before each code point and at the end.
            return RegoNumber.FromLong(StringRunes.Count(s) + 1);
        }

        var n = 0;
        var i = 0;
        while ((i = s.IndexOf(sub, i, StringComparison.Ordinal)) >= 0)
        {
            n++;
            i += sub.Length;
        }

        return RegoNumber.FromLong(n);
    }
}
