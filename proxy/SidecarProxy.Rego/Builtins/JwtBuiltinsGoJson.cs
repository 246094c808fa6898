using System.Globalization;
using System.Text;
using System.Text.Json;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// JSON text as Go's <c>json.Marshal</c> writes a Rego value converted to Go (OPA's io.jwt.encode_sign): object keys
/// sorted, sets as arrays, and HTML-sensitive characters escaped, so signatures over the bytes match OPA's.
/// </summary>
internal static class GoJson
{
    private static readonly JsonDocumentOptions StrictOptions = new() { MaxDepth = 10000 };

    /// <summary>Go's <c>json.Valid</c>.</summary>
    public static bool IsValid(byte[] utf8)
    {
        try
        {
            using var _ = JsonDocument.Parse(utf8, StrictOptions);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Marshals <paramref name="value"/>; null when it holds an object key that is not a string.</summary>
    public static byte[]? Marshal(RegoValue value)
    {
        var sb = new StringBuilder();
        return Write(sb, value) ? Encoding.UTF8.GetBytes(sb.ToString()) : null;
    }

    private static bool Write(StringBuilder sb, RegoValue value)
    {
        switch (value)
        {
            case RegoNull:
                sb.Append("null");
                return true;
            case RegoBoolean b:
                sb.Append(b.Value ? "true" : "false");
                return true;
            case RegoNumber n:
                sb.Append(n.ToNumberString());
                return true;
            case RegoString s:
                WriteString(sb, s.Value);
                return true;
            case RegoArray a:
                return WriteArray(sb, a.AsList());
            case RegoSet set:
                return WriteArray(sb, set.AsList());
            case RegoObject o:
                {
                    var entries = new List<(string Key, RegoValue Value)>(o.Count);
                    foreach (var (k, v) in o.Entries)
                    {
                        if (k is not RegoString ks)
                        {
                            return false;
                        }

                        entries.Add((ks.Value, v));
                    }

                    entries.Sort((x, y) => CompareUtf8(x.Key, y.Key));
                    sb.Append('{');
                    for (var i = 0; i < entries.Count; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(',');
                        }

                        WriteString(sb, entries[i].Key);
                        sb.Append(':');
                        if (!Write(sb, entries[i].Value))
                        {
                            return false;
                        }
                    }

                    sb.Append('}');
                    return true;
                }

            default:
                return false;
        }
    }

    private static bool WriteArray(StringBuilder sb, IReadOnlyList<RegoValue> items)
    {
        sb.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            if (!Write(sb, items[i]))
            {
                return false;
            }
        }

        sb.Append(']');
        return true;
    }

    /// <summary>Go sorts map keys by their UTF-8 bytes.</summary>
    private static int CompareUtf8(string a, string b)
    {
        var x = Encoding.UTF8.GetBytes(a);
        var y = Encoding.UTF8.GetBytes(b);
        return x.AsSpan().SequenceCompareTo(y);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '<' or '>' or '&' or '\u2028' or '\u2029':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
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
}
