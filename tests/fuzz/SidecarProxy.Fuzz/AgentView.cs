using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SidecarProxy.Fuzz;

/// <summary>
/// What an MCP client reads, written here independently of the sidecar's readers: server-sent events as the
/// WHATWG spec interprets a stream (https://html.spec.whatwg.org/multipage/server-sent-events.html), JSON as a
/// lenient reader (JavaScript's JSON.parse: deep nesting, duplicate members with the last one winning, lone
/// surrogates in strings) and JSON-RPC ids compared by value (1 and 1.0 are the same number to JavaScript).
/// </summary>
internal static class AgentView
{
    /// <summary>Deep enough for anything a client accepts in practice (JSON.parse has no limit of its own).</summary>
    public const int LenientDepth = 1000;

    /// <summary>The messages an agent reads from a response body: each SSE event's data, or the JSON body; objects only.</summary>
    public static Read Messages(byte[] body, bool json)
    {
        var read = new Read();
        foreach (var text in json ? [Decode(body)] : Events(body))
        {
            var document = Json(text, LenientDepth);
            if (document is null)
            {
                continue;
            }

            read.Documents.Add(document);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                read.Messages.Add(root);
            }
            else if (root.ValueKind == JsonValueKind.Array)
            {
                read.Messages.AddRange(root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object));
            }
        }

        return read;
    }

    /// <summary>A response body as a client decodes it: UTF-8 with replacement characters, a leading BOM dropped.</summary>
    public static string Decode(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.StartsWith('\uFEFF') ? text[1..] : text;
    }

    public static JsonDocument? Json(string text, int maxDepth) => Json(Encoding.UTF8.GetBytes(text), maxDepth);

    public static JsonDocument? Json(ReadOnlyMemory<byte> utf8, int maxDepth)
    {
        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The data of each event the spec dispatches (an event without data lines is not dispatched).</summary>
    public static List<string> Events(byte[] stream)
    {
        var text = Decode(stream);
        var events = new List<string>();
        var data = new StringBuilder();
        var position = 0;
        while (position < text.Length)
        {
            var end = text.IndexOfAny(['\r', '\n'], position);
            if (end < 0)
            {
                break; // a last line without its end is never processed
            }

            var line = text[position..end];
            position = end + (text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? 2 : 1);
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    events.Add(data.ToString(0, data.Length - 1));
                }

                data.Clear();
                continue;
            }

            if (line[0] == ':')
            {
                continue; // a comment (keep-alive)
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (field == "data")
            {
                data.Append(value.StartsWith(' ') ? value[1..] : value).Append('\n');
            }
        }

        return events;
    }

    /// <summary>
    /// Where the first event of a stream read so far ends: just past its blank line (lines end with CR LF, LF or
    /// CR), or -1 when there is none yet. A CR as the last byte read may be the first half of a CR LF: not yet an end.
    /// </summary>
    public static int EventEnd(ReadOnlySpan<byte> stream)
    {
        var lineStart = 0;
        while (true)
        {
            var terminator = stream[lineStart..].IndexOfAny((byte)'\r', (byte)'\n');
            if (terminator < 0)
            {
                return -1;
            }

            var at = lineStart + terminator;
            int next;
            if (stream[at] == '\n')
            {
                next = at + 1;
            }
            else if (at + 1 == stream.Length)
            {
                return -1;
            }
            else
            {
                next = stream[at + 1] == '\n' ? at + 2 : at + 1;
            }

            if (at == lineStart)
            {
                return next;
            }

            lineStart = next;
        }
    }

    /// <summary>The offsets at which the stream's events end (from its start, as a relay reading it whole sees them).</summary>
    public static HashSet<int> EventEnds(byte[] stream)
    {
        var ends = new HashSet<int>();
        var position = 0;
        while (EventEnd(stream.AsSpan(position)) is var end and > 0)
        {
            position += end;
            ends.Add(position);
        }

        return ends;
    }

    /// <summary>JSON-RPC ids as a JavaScript client matches them: numbers by value, strings by their characters.</summary>
    public static bool IdEquals(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => Number(a) == Number(b),
        (JsonValueKind.String, JsonValueKind.String) => Unescape(a.GetRawText()) == Unescape(b.GetRawText()),
        _ => false,
    };

    /// <summary>A JSON number as a double (JavaScript's number; out-of-range magnitudes are infinities there too).</summary>
    private static double Number(JsonElement number) => double.Parse(number.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A JSON string literal's UTF-16 code units, lone surrogates included (which System.Text.Json refuses to read).</summary>
    public static string Unescape(string literal)
    {
        var text = new StringBuilder(literal.Length);
        for (var i = 1; i < literal.Length - 1; i++)
        {
            var c = literal[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            c = literal[++i];
            text.Append(c switch
            {
                'b' => '\b',
                'f' => '\f',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => (char)int.Parse(literal.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                _ => c, // \" \\ \/
            });
            if (c == 'u')
            {
                i += 4;
            }
        }

        return text.ToString();
    }

    /// <summary>The same JSON value to a JavaScript client: members by name (the last of duplicates), numbers by value.</summary>
    public static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var left = Members(a);
                var right = Members(b);
                return left.Count == right.Count && left.All(m => right.TryGetValue(m.Key, out var other) && JsonEquals(m.Value, other));
            case JsonValueKind.Array:
                return a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => JsonEquals(p.First, p.Second));
            case JsonValueKind.String:
                return Unescape(a.GetRawText()) == Unescape(b.GetRawText());
            case JsonValueKind.Number:
                return a.GetRawText() == b.GetRawText() || Number(a) == Number(b);
            default:
                return true;
        }
    }

    /// <summary>
    /// <paramref name="filtered"/> is <paramref name="original"/> with exactly the items of its <paramref name="array"/>
    /// member that <paramref name="visible"/> refuses removed (in order), every other member (nextCursor) unchanged.
    /// </summary>
    public static bool IsFiltered(JsonElement original, JsonElement filtered, string array, string key, Func<JsonElement, string, bool> visible)
    {
        var before = Members(original);
        var after = Members(filtered);
        if (before.Count != after.Count)
        {
            return false;
        }

        foreach (var (name, value) in before)
        {
            if (!after.TryGetValue(name, out var other))
            {
                return false;
            }

            if (name == array && value.ValueKind == JsonValueKind.Array)
            {
                var kept = value.EnumerateArray().Where(item => visible(item, key)).ToList();
                if (other.ValueKind != JsonValueKind.Array || other.GetArrayLength() != kept.Count
                    || !kept.Zip(other.EnumerateArray()).All(p => JsonEquals(p.First, p.Second)))
                {
                    return false;
                }
            }
            else if (!JsonEquals(value, other))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the JSON text is UTF-8 and none of its strings or member names has a lone surrogate.</summary>
    public static bool IsValidUnicode(ReadOnlySpan<byte> utf8, JsonElement root)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        return IsValidUnicode(root);
    }

    /// <summary>Whether some object names a member twice, names compared as readers see them (escapes decoded).</summary>
    public static bool HasRepeatedMemberName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => NamesRepeat(value) || value.EnumerateObject().Any(m => HasRepeatedMemberName(m.Value)),
        JsonValueKind.Array => value.EnumerateArray().Any(HasRepeatedMemberName),
        _ => false,
    };

    private static bool NamesRepeat(JsonElement value)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        return value.EnumerateObject().Any(m => !names.Add(Unescape(NameLiteral(m))));
    }

    private static bool IsValidUnicode(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().All(m => IsValidUnicode(Unescape(NameLiteral(m))) && IsValidUnicode(m.Value)),
        JsonValueKind.Array => value.EnumerateArray().All(IsValidUnicode),
        JsonValueKind.String => IsValidUnicode(Unescape(value.GetRawText())),
        _ => true,
    };

    private static bool IsValidUnicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An object's member as a client finds it: by its characters (escapes decoded), the last of duplicates.</summary>
    public static bool Member(JsonElement obj, string name, out JsonElement value)
    {
        value = default;
        return obj.ValueKind == JsonValueKind.Object && Members(obj).TryGetValue(name, out value);
    }

    private static Dictionary<string, JsonElement> Members(JsonElement obj)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in obj.EnumerateObject())
        {
            // The raw text of a member is its name's literal, a colon and its value: the name's literal ends at the
            // first unescaped quote after the opening one.
            members[Unescape(NameLiteral(member))] = member.Value;
        }

        return members;
    }

    private static string NameLiteral(JsonProperty member)
    {
        var raw = member.ToString();
        var end = 1;
        while (raw[end] != '"')
        {
            end += raw[end] == '\\' ? 2 : 1;
        }

        return raw[..(end + 1)];
    }

    /// <summary>Parsed documents and the messages in them (valid while the documents are).</summary>
    public sealed class Read : IDisposable
    {
        public List<JsonDocument> Documents { get; } = [];

        public List<JsonElement> Messages { get; } = [];

        public void Dispose()
        {
            foreach (var document in Documents)
            {
                document.Dispose();
            }
        }
    }
}
