using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SidecarProxy.Mcp;

/// <summary>
/// One spelling per JSON value, so that two messages with the same arguments hash alike however a client formats
/// them: object members sorted by name (ordinal; members of the same name keep their order), no whitespace,
/// strings escaped by one encoder, numbers written from their double value in shortest round-trip form (integers
/// that fit a long as integers). Close to RFC 8785; equal values give equal bytes, which is all the digest needs.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static byte[] Serialize(JsonElement? value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            if (value is { } element)
            {
                Write(writer, element);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var integer))
                {
                    writer.WriteNumberValue(integer);
                }
                else if (element.TryGetDouble(out var real) && double.IsFinite(real) && real == Math.Floor(real) && Math.Abs(real) < 9.2e18)
                {
                    writer.WriteNumberValue((long)real);
                }
                else
                {
                    writer.WriteNumberValue(element.GetDouble());
                }

                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
