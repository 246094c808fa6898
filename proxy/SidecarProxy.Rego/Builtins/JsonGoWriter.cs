using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// JSON text exactly as Go's encoding/json writes OPA values (json.marshal): object keys sorted by their
/// string form, HTML-significant characters escaped (&lt; &gt; &amp; as \u003c...), sets as sorted arrays,
/// non-string keys as their JSON text. Indented output follows json.MarshalIndent.
/// </summary>
internal static class JsonGoWriter
{
    private const string Hex = "0123456789abcdef";

    public static string Marshal(RegoValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value, null, null, 0);
        return sb.ToString();
    }

    /// <summary>json.MarshalIndent: the prefix starts every line but the first.</summary>
    public static string MarshalIndent(RegoValue value, string prefix, string indent)
    {
        var sb = new StringBuilder();
        Write(sb, value, prefix, indent, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, RegoValue value, string? prefix, string? indent, int depth)
    {
        JsonStackGuard.Ensure();

        switch (value)
        {
            case RegoNull:
                sb.Append("null");
                break;
            case RegoBoolean b:
                sb.Append(b.Value ? "true" : "false");
                break;
            case RegoNumber n:
                sb.Append(n.ToNumberString());
                break;
            case RegoString s:
                WriteString(sb, s.Value);
                break;
            case RegoArray a:
                WriteArray(sb, a.Items, prefix, indent, depth);
                break;
            case RegoSet set:
                WriteArray(sb, set.Items, prefix, indent, depth);
                break;
            case RegoObject o:
                {
                    if (o.Count == 0)
                    {
                        sb.Append("{}");
                        break;
                    }

                    var entries = new List<KeyValuePair<string, RegoValue>>(o.Count);
                    foreach (var (k, v) in o.Entries)
                    {
                        entries.Add(new(k is RegoString ks ? ks.Value : Marshal(k), v));
                    }

                    entries.Sort(static (x, y) => CompareUtf8(x.Key, y.Key));
                    sb.Append('{');
                    for (var i = 0; i < entries.Count; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(',');
                        }

                        NewLine(sb, prefix, indent, depth + 1);
                        WriteString(sb, entries[i].Key);
                        sb.Append(indent is null ? ":" : ": ");
                        Write(sb, entries[i].Value, prefix, indent, depth + 1);
                    }

                    NewLine(sb, prefix, indent, depth);
                    sb.Append('}');
                    break;
                }

            default:
                throw new ArgumentException($"unknown value type {value.GetType()}", nameof(value));
        }
    }

    private static void WriteArray(StringBuilder sb, ReadOnlySpan<RegoValue> items, string? prefix, string? indent, int depth)
    {
        if (items.Length == 0)
        {
            sb.Append("[]");
            return;
        }

        sb.Append('[');
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            NewLine(sb, prefix, indent, depth + 1);
            Write(sb, items[i], prefix, indent, depth + 1);
        }

        NewLine(sb, prefix, indent, depth);
        sb.Append(']');
    }

    private static void NewLine(StringBuilder sb, string? prefix, string? indent, int depth)
    {
        if (indent is null)
        {
            return;
        }

        sb.Append('\n').Append(prefix);
        for (var i = 0; i < depth; i++)
        {
            sb.Append(indent);
        }
    }

    // Go sorts map keys by their UTF-8 bytes; ordinal UTF-16 order matches except around surrogates.
    private static int CompareUtf8(string a, string b) =>
        a.AsSpan().ContainsAnyInRange('\uD800', '\uFFFF') || b.AsSpan().ContainsAnyInRange('\uD800', '\uFFFF')
            ? Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b))
            : string.CompareOrdinal(a, b);

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    AppendUnicodeEscape(sb, c);
                    break;
                default:
                    if (c < 0x20)
                    {
                        AppendUnicodeEscape(sb, c);
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append(c).Append(s[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        // Not valid UTF-8 once encoded: Go writes the replacement character.
                        sb.Append("\\ufffd");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    private static void AppendUnicodeEscape(StringBuilder sb, char c) =>
        sb.Append("\\u").Append(Hex[(c >> 12) & 0xF]).Append(Hex[(c >> 8) & 0xF]).Append(Hex[(c >> 4) & 0xF]).Append(Hex[c & 0xF]);
}
