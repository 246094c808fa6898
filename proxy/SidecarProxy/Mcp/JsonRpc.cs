using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SidecarProxy.Mcp;

internal enum JsonRpcKind
{
    Request,
    Notification,
    Response,
}

/// <summary>One JSON-RPC 2.0 message of an agent's POST, validated; <see cref="Raw"/> is its exact text.</summary>
internal sealed record JsonRpcMessage(JsonRpcKind Kind, string? Method, JsonElement? Id, JsonElement? Params, ReadOnlyMemory<byte> Raw)
{
    public string? ParamString(string name) =>
        Params is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;
}

/// <summary>JSON-RPC error codes the sidecar answers with (docs/mcp.md lists them).</summary>
internal static class JsonRpcErrors
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>Session unknown, expired or bound to another agent (the code MCP servers use for "Session not found").</summary>
    public const int SessionNotFound = -32001;

    /// <summary>The policy refused this message (or it needs an approval): one fixed message whether or not the item exists.</summary>
    public const int Refused = -32003;

    /// <summary>MCP 2026-07-28 HeaderMismatch: Mcp-Method/Mcp-Name/MCP-Protocol-Version disagree with the body.</summary>
    public const int HeaderMismatch = -32020;
}

/// <summary>
/// A JSON-RPC id as clients match an answer to a request, as a dictionary key: numbers by value (1, 1.0 and 1e0 are
/// one id to a JavaScript client, and a server that parses and re-serializes ids echoes any of them as 1), strings
/// by their characters (escapes decoded). Ids are valid Unicode strings or numbers (JsonRpcParser checks).
/// </summary>
internal static class JsonRpcId
{
    public static string Key(JsonElement id) =>
        id.ValueKind == JsonValueKind.Number ? NumberKey(id.GetRawText()) : "s:" + id.GetString();

    /// <summary>The key of an id in a server's message; null when it is neither a string nor a number.</summary>
    public static string? Key(JsonNode? id) => id?.GetValueKind() switch
    {
        JsonValueKind.Number => NumberKey(id.ToJsonString()),
        JsonValueKind.String => "s:" + id.GetValue<string>(),
        _ => null,
    };

    // As a double, the number JavaScript has (-0 is 0 there); the largest magnitudes are infinities, as there too.
    private static string NumberKey(string json)
    {
        var value = double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture);
        return "n:" + (value == 0 ? 0d : value).ToString("R", CultureInfo.InvariantCulture);
    }
}

/// <summary>Parses what an agent POSTs to an MCP route: one message or (older revisions) a batch.</summary>
internal static class JsonRpcParser
{
    /// <summary>Parses <paramref name="body"/>; on failure returns null with the error code and message to answer.</summary>
    public static IReadOnlyList<JsonRpcMessage>? Parse(
        ReadOnlyMemory<byte> body, out bool batch, out int errorCode, out string? error, out JsonElement? errorId)
    {
        batch = false;
        errorCode = 0;
        error = null;
        errorId = null;

        // Strings that are not valid Unicode parse, but reading one (an id, a method, a name, or a member name when
        // looking for repeated ones below) throws: not JSON here.
        if (!JsonText.HasValidStrings(body.Span))
        {
            errorCode = JsonRpcErrors.ParseError;
            error = "Parse error: a string is not valid Unicode";
            return null;
        }

        JsonDocument document;
        try
        {
            // A member name twice in one object is refused: the sidecar would decide on one value (the last) and a
            // server whose reader takes the first would act on the other, e.g. call a tool the policy never saw.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = JsonText.MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            errorCode = JsonRpcErrors.ParseError;
            error = "Parse error";
            return null;
        }

        // The document is kept alive by the elements cloned below; the raw bytes are sliced from the body.
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                batch = true;
                if (root.GetArrayLength() == 0)
                {
                    errorCode = JsonRpcErrors.InvalidRequest;
                    error = "Invalid Request: empty batch";
                    return null;
                }

                var messages = new List<JsonRpcMessage>(root.GetArrayLength());
                foreach (var item in root.EnumerateArray())
                {
                    var message = ParseOne(item, out error, out errorId);
                    if (message is null)
                    {
                        errorCode = JsonRpcErrors.InvalidRequest;
                        return null;
                    }

                    messages.Add(message);
                }

                // Answers are matched to requests by id (the list filter too): two requests with one id are ambiguous.
                var ids = new HashSet<string>(StringComparer.Ordinal);
                foreach (var message in messages)
                {
                    if (message.Kind == JsonRpcKind.Request && !ids.Add(JsonRpcId.Key(message.Id!.Value)))
                    {
                        errorCode = JsonRpcErrors.InvalidRequest;
                        error = "Invalid Request: two requests of a batch have the same id";
                        errorId = message.Id;
                        return null;
                    }
                }

                return messages;
            }

            var single = ParseOne(root, out error, out errorId);
            if (single is null)
            {
                errorCode = JsonRpcErrors.InvalidRequest;
                return null;
            }

            return [single];
        }
    }

    private static JsonRpcMessage? ParseOne(JsonElement element, out string? error, out JsonElement? id)
    {
        id = null;
        error = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "Invalid Request: a message must be a JSON object";
            return null;
        }

        if (element.TryGetProperty("id", out var idValue))
        {
            if (idValue.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                error = "Invalid Request: id must be a string or a number";
                return null;
            }

            id = idValue.Clone();
        }

        if (!element.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
        {
            error = "Invalid Request: jsonrpc must be \"2.0\"";
            return null;
        }

        JsonElement? parameters = null;
        if (element.TryGetProperty("params", out var p))
        {
            if (p.ValueKind != JsonValueKind.Object)
            {
                error = "Invalid Request: params must be an object";
                return null;
            }

            parameters = p.Clone();
        }

        var raw = System.Text.Encoding.UTF8.GetBytes(element.GetRawText());
        if (element.TryGetProperty("method", out var method))
        {
            if (method.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(method.GetString()))
            {
                error = "Invalid Request: method must be a non-empty string";
                return null;
            }

            if (element.TryGetProperty("result", out _) || element.TryGetProperty("error", out _))
            {
                error = "Invalid Request: a request has no result or error";
                return null;
            }

            return new JsonRpcMessage(id is null ? JsonRpcKind.Notification : JsonRpcKind.Request, method.GetString(), id, parameters, raw);
        }

        var hasResult = element.TryGetProperty("result", out _);
        var hasError = element.TryGetProperty("error", out _);
        if (id is null || hasResult == hasError)
        {
            error = "Invalid Request: a message without method must be a response with an id and one of result or error";
            return null;
        }

        return new JsonRpcMessage(JsonRpcKind.Response, null, id, parameters, raw);
    }
}

/// <summary>Writes JSON-RPC error responses (the sidecar's own answers on MCP routes).</summary>
internal static class JsonRpcWriter
{
    public const string JsonContentType = "application/json";

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Error(JsonElement? id, int code, string message, string? reasonCode = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            WriteError(writer, id, code, message, reasonCode);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteError(Utf8JsonWriter writer, JsonElement? id, int code, string message, string? reasonCode)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WritePropertyName("id");
        if (id is { } value)
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteStartObject("error");
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        if (reasonCode is not null)
        {
            writer.WriteStartObject("data");
            writer.WriteString("code", reasonCode);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A JSON array of already-serialized messages, each copied byte for byte.</summary>
    public static byte[] Array(IEnumerable<ReadOnlyMemory<byte>> messages)
    {
        using var stream = new MemoryStream();
        stream.WriteByte((byte)'[');
        var first = true;
        foreach (var message in messages)
        {
            if (!first)
            {
                stream.WriteByte((byte)',');
            }

            first = false;
            stream.Write(message.Span);
        }

        stream.WriteByte((byte)']');
        return stream.ToArray();
    }

    public static async Task WriteAsync(Microsoft.AspNetCore.Http.HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
