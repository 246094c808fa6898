using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SidecarProxy.Approvals;

/// <summary>The body as approvers see it: at most <see cref="ApprovalPreview.MaxBytes"/> of redacted text, or nothing.</summary>
/// <param name="Kind"><c>json</c>, <c>form</c>, <c>text</c> (shown, redacted where the format allows), <c>empty</c>, or <c>withheld</c> (not shown).</param>
/// <param name="Text">The preview, or null when withheld or empty.</param>
/// <param name="Truncated">Whether the preview stops before the end of the (redacted) body.</param>
internal sealed record ApprovalBodyPreview(string Kind, string? Text, bool Truncated);

/// <summary>
/// Builds body previews and redacted query strings. JSON bodies are re-written with the value of every member
/// named in <c>Sidecar:Approvals:RedactFields</c> (at any depth, case-insensitive) replaced by <c>[redacted]</c>;
/// form bodies and query strings get the same treatment per field. Plain text is shown as is (it has no fields to
/// redact). Anything else, and JSON that does not parse, is withheld: a preview must never leak a secret.
/// </summary>
internal static class ApprovalPreview
{
    public const int MaxBytes = 4096;
    public const string Redacted = "[redacted]";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 64 };

    public static ApprovalBodyPreview Build(ReadOnlySpan<byte> body, string? contentType, IReadOnlyList<string> redact)
    {
        ArgumentNullException.ThrowIfNull(redact);
        if (body.IsEmpty)
        {
            return new ApprovalBodyPreview("empty", null, false);
        }

        var media = MediaType(contentType);
        var fields = new HashSet<string>(redact, StringComparer.OrdinalIgnoreCase);
        if (media == "application/json" || media.EndsWith("+json", StringComparison.Ordinal))
        {
            return RedactJson(body, fields) is { } json ? Truncate("json", json) : new ApprovalBodyPreview("withheld", null, false);
        }

        if (media == "application/x-www-form-urlencoded")
        {
            return TryUtf8(body, out var form) ? Truncate("form", RedactPairs(form, fields)) : new ApprovalBodyPreview("withheld", null, false);
        }

        if (media.StartsWith("text/", StringComparison.Ordinal) && TryUtf8(body, out var text))
        {
            return Truncate("text", text);
        }

        return new ApprovalBodyPreview("withheld", null, false);
    }

    /// <summary>A query string (with or without <c>?</c>) with the values of redacted parameters replaced.</summary>
    public static string RedactQuery(string query, IReadOnlyList<string> redact)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length <= 1)
        {
            return query;
        }

        var fields = new HashSet<string>(redact, StringComparer.OrdinalIgnoreCase);
        var body = query.StartsWith('?') ? query[1..] : query;
        return (query.StartsWith('?') ? "?" : string.Empty) + RedactPairs(body, fields);
    }

    private static string RedactPairs(string pairs, HashSet<string> fields)
    {
        var parts = pairs.Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? parts[i] : parts[i][..eq];
            string decoded;
            try
            {
                decoded = Uri.UnescapeDataString(name.Replace('+', ' '));
            }
            catch (UriFormatException)
            {
                decoded = name;
            }

            if (eq >= 0 && fields.Contains(decoded))
            {
                parts[i] = name + "=" + Uri.EscapeDataString(Redacted);
            }
        }

        return string.Join('&', parts);
    }

    private static string? RedactJson(ReadOnlySpan<byte> body, HashSet<string> fields)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            using var document = JsonDocument.ParseValue(ref reader);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(Math.Min(body.Length, 64 * 1024));
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                Write(writer, document.RootElement, fields);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, HashSet<string> fields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    if (fields.Contains(property.Name))
                    {
                        writer.WriteStringValue(Redacted);
                    }
                    else
                    {
                        Write(writer, property.Value, fields);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item, fields);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static ApprovalBodyPreview Truncate(string kind, string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= MaxBytes)
        {
            return new ApprovalBodyPreview(kind, text, false);
        }

        // Cut at a character boundary at or before MaxBytes.
        var length = 0;
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > MaxBytes)
            {
                break;
            }

            used += rune.Utf8SequenceLength;
            length += rune.Utf16SequenceLength;
        }

        return new ApprovalBodyPreview(kind, text[..length], true);
    }

    private static bool TryUtf8(ReadOnlySpan<byte> body, out string text)
    {
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }
}
