using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>URL query escaping as Go's net/url does it (QueryEscape, QueryUnescape, ParseQuery, Values.Encode).</summary>
internal static class EncodingUrl
{
    private const string HexDigits = "0123456789ABCDEF";

    public static string QueryEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
            {
                sb.Append((char)b);
            }
            else if (b == ' ')
            {
                sb.Append('+');
            }
            else
            {
                sb.Append('%').Append(HexDigits[b >> 4]).Append(HexDigits[b & 0xF]);
            }
        }

        return sb.ToString();
    }

    public static string QueryUnescape(string s)
    {
        var input = Encoding.UTF8.GetBytes(s);
        var output = new List<byte>(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            var b = input[i];
            if (b == '%')
            {
                if (i + 2 >= input.Length || Hex(input[i + 1]) < 0 || Hex(input[i + 2]) < 0)
                {
                    var bad = Encoding.UTF8.GetString(input, i, Math.Min(3, input.Length - i));
                    throw new BuiltinErrorException($"invalid URL escape \"{bad}\"");
                }

                output.Add((byte)((Hex(input[i + 1]) << 4) | Hex(input[i + 2])));
                i += 2;
            }
            else
            {
                output.Add(b == '+' ? (byte)' ' : b);
            }
        }

        return Encoding.UTF8.GetString(output.ToArray());
    }

    public static string EncodeObject(RegoValue[] args)
    {
        var obj = Operands.Object(args, 0);
        var pairs = new List<(string Key, List<string> Values)>();
        foreach (var (k, v) in obj.Entries)
        {
            var key = k is RegoString ks ? ks.Value : k.ToJson();
            var values = new List<string>();
            switch (v)
            {
                case RegoString s:
                    values.Add(s.Value);
                    break;
                case RegoArray a:
                    AddAll(a.Items, values);
                    break;
                case RegoSet set:
                    AddAll(set.Items, values);
                    break;
                default:
                    throw EncodeObjectError();
            }

            pairs.Add((key, values));
        }

        // url.Values.Encode sorts by key.
        pairs.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        var sb = new StringBuilder();
        foreach (var (key, values) in pairs)
        {
            var escapedKey = QueryEscape(key);
            foreach (var value in values)
            {
                if (sb.Length > 0)
                {
                    sb.Append('&');
                }

                sb.Append(escapedKey).Append('=').Append(QueryEscape(value));
            }
        }

        return sb.ToString();
    }

    public static RegoObject DecodeObject(string query)
    {
        var order = new List<string>();
        var map = new Dictionary<string, List<RegoValue>>(StringComparer.Ordinal);
        BuiltinErrorException? firstError = null;
        foreach (var part in query.Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            if (part.Contains(';', StringComparison.Ordinal))
            {
                firstError ??= new BuiltinErrorException("invalid semicolon separator in query");
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var rawKey = eq >= 0 ? part[..eq] : part;
            var rawValue = eq >= 0 ? part[(eq + 1)..] : string.Empty;
            string key, value;
            try
            {
                key = QueryUnescape(rawKey);
                value = QueryUnescape(rawValue);
            }
            catch (BuiltinErrorException ex)
            {
                firstError ??= ex;
                continue;
            }

            if (!map.TryGetValue(key, out var list))
            {
                list = [];
                map[key] = list;
                order.Add(key);
            }

            list.Add(new RegoString(value));
        }

        if (firstError is not null)
        {
            throw firstError;
        }

        return RegoObject.FromStrings(order.Select(k => new KeyValuePair<string, RegoValue>(k, new RegoArray(map[k].ToArray()))));
    }

    private static void AddAll(ReadOnlySpan<RegoValue> items, List<string> values)
    {
        foreach (var item in items)
        {
            values.Add(item is RegoString s ? s.Value : throw EncodeObjectError());
        }
    }

    private static BuiltinTypeException EncodeObjectError() => new("operand 1 values must be string, array[string], or set[string]");

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
