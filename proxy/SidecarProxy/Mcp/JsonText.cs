using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace SidecarProxy.Mcp;

/// <summary>
/// JSON text the MCP stage can read whole. System.Text.Json parses strings that are not valid Unicode (invalid
/// UTF-8 bytes, an escaped lone surrogate such as <c>"\ud800"</c>) and JsonNode parses repeated member names; it
/// throws only later, when such a string is read or such an object is first used. The stage reads ids, methods and
/// names of agents' messages and the list results of servers' answers, so it refuses that text up front instead.
/// </summary>
internal static class JsonText
{
    /// <summary>The nesting the stage reads (System.Text.Json's default).</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions NodeOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>Whether every string and member name of the JSON text is valid Unicode (false for text that is not JSON).</summary>
    public static bool HasValidStrings(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        if (!MayEscapeSurrogate(json))
        {
            return true;
        }

        // Escapes of surrogates: a pair is one character, a lone one cannot be read (GetString throws).
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException)
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// A server's message to rewrite: null when it is not JSON, repeats a member name (readers disagree on which
    /// one counts) or has a string that is not valid Unicode.
    /// </summary>
    public static JsonNode? ParseNode(ReadOnlySpan<byte> json)
    {
        if (!HasValidStrings(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json, documentOptions: NodeOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Only "\uD8".."\uDF" (either case) begins the escape of a surrogate; most text has none, and skips the second pass.
    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> json)
    {
        while (true)
        {
            var at = json.IndexOf("\\u"u8);
            if (at < 0 || at + 3 >= json.Length)
            {
                return false;
            }

            var second = json[at + 3] | 0x20;
            if ((json[at + 2] | 0x20) == 'd' && (second is '8' or '9' || second is >= 'a' and <= 'f'))
            {
                return true;
            }

            json = json[(at + 2)..];
        }
    }
}
