using System.Buffers;
using System.Text;
using System.Text.Json;

namespace SidecarProxy.Rego.Values;

/// <summary>Converts between JSON text and Rego values, keeping numbers exact.</summary>
public static class RegoJson
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <summary>Parses JSON text. Throws <see cref="JsonException"/> on malformed input.</summary>
    public static RegoValue Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static RegoValue Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        if (!reader.Read())
        {
            throw new JsonException("empty JSON document");
        }

        var value = ReadValue(ref reader);
        if (reader.Read())
        {
            throw new JsonException("trailing data after JSON value");
        }

        return value;
    }

    public static bool TryParse(string json, out RegoValue value)
    {
        try
        {
            value = Parse(json);
            return true;
        }
        catch (JsonException)
        {
            value = RegoNull.Instance;
            return false;
        }
    }

    /// <summary>Converts a parsed <see cref="JsonElement"/>.</summary>
    public static RegoValue FromElement(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return RegoNull.Instance;
            case JsonValueKind.True:
                return RegoBoolean.True;
            case JsonValueKind.False:
                return RegoBoolean.False;
            case JsonValueKind.Number:
                return Number(element.GetRawText());
            case JsonValueKind.String:
                return new RegoString(Utf16(element.GetString));
            case JsonValueKind.Array:
                {
                    var items = new RegoValue[element.GetArrayLength()];
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        items[i++] = FromElement(item);
                    }

                    return new RegoArray(items);
                }

            case JsonValueKind.Object:
                {
                    var map = new Dictionary<RegoValue, RegoValue>();
                    foreach (var p in element.EnumerateObject())
                    {
                        map[new RegoString(Utf16(() => p.Name))] = FromElement(p.Value);
                    }

                    return new RegoObject(map);
                }

            default:
                throw new JsonException($"unsupported JSON value kind {element.ValueKind}");
        }
    }

    private static RegoValue ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return RegoNull.Instance;
            case JsonTokenType.True:
                return RegoBoolean.True;
            case JsonTokenType.False:
                return RegoBoolean.False;
            case JsonTokenType.Number:
                {
                    var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
                    return Number(Encoding.UTF8.GetString(raw));
                }

            case JsonTokenType.String:
                return new RegoString(ReadString(ref reader));
            case JsonTokenType.StartArray:
                {
                    var items = new List<RegoValue>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        items.Add(ReadValue(ref reader));
                    }

                    return items.Count == 0 ? RegoArray.Empty : new RegoArray(items.ToArray());
                }

            case JsonTokenType.StartObject:
                {
                    var map = new Dictionary<RegoValue, RegoValue>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var key = new RegoString(ReadString(ref reader));
                        reader.Read();
                        map[key] = ReadValue(ref reader);
                    }

                    return new RegoObject(map);
                }

            default:
                throw new JsonException($"unexpected JSON token {reader.TokenType}");
        }
    }

    // A number that is valid JSON but out of RegoNumber's range (e.g. 1e40000) is rejected like malformed JSON.
    private static RegoNumber Number(string text) =>
        RegoNumber.TryParse(text, out var number) ? number : throw new JsonException("JSON number out of range");

    // The reader checks UTF-8 only when a string is decoded, and then throws InvalidOperationException.
    private static string ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("invalid UTF-8 in a JSON string", e);
        }
    }

    private static string Utf16(Func<string?> read)
    {
        try
        {
            return read()!;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("invalid UTF-8 in a JSON string", e);
        }
    }

    /// <summary>Serializes as compact JSON. Sets become sorted arrays; non-string keys become their JSON text.</summary>
    public static string Serialize(RegoValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Write(Utf8JsonWriter writer, RegoValue value)
    {
        switch (value)
        {
            case RegoNull:
                writer.WriteNullValue();
                break;
            case RegoBoolean b:
                writer.WriteBooleanValue(b.Value);
                break;
            case RegoNumber n:
                writer.WriteRawValue(n.ToNumberString(), skipInputValidation: true);
                break;
            case RegoString s:
                writer.WriteStringValue(s.Value);
                break;
            case RegoArray a:
                writer.WriteStartArray();
                foreach (var item in a.Items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case RegoSet set:
                writer.WriteStartArray();
                foreach (var item in set.Items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case RegoObject o:
                writer.WriteStartObject();
                foreach (var (k, v) in o.Entries)
                {
                    writer.WritePropertyName(k is RegoString ks ? ks.Value : Serialize(k));
                    Write(writer, v);
                }

                writer.WriteEndObject();
                break;
            default:
                throw new ArgumentException($"unknown value type {value.GetType()}", nameof(value));
        }
    }

    /// <summary>Appends <paramref name="s"/> as a JSON string literal (used for Rego text of strings).</summary>
    public static void WriteJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
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
