using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Hosting;
using SidecarProxy.Model;

namespace SidecarProxy.Dev;

/// <summary>
/// The Development demo tool: a JSON echo served on its own plain-HTTP listener, so the demo route has an
/// upstream without a second process. The echo shows the headers the tool received, which makes the
/// stripping of agent credentials visible, and describes the injected Authorization (scheme and JWT claims)
/// instead of printing it: even a demo must not teach that tokens belong in output.
/// </summary>
internal static class DemoUpstream
{
    public static IEndpointRouteBuilder MapDemoUpstream(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/{**path}", EchoAsync).RequireListener(ListenerKind.DemoUpstream);
        return endpoints;
    }

    private static async Task EchoAsync(HttpContext context)
    {
        var request = context.Request;
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("tool", "demo");
        json.WriteString("method", request.Method);
        json.WriteString("path", request.Path.Value);
        json.WriteString("query", request.QueryString.Value);
        json.WriteStartObject("headers");
        foreach (var (name, values) in request.Headers)
        {
            if (!string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                json.WriteString(name.ToLowerInvariant(), values.ToString());
            }
        }

        json.WriteEndObject();
        WriteAuthorization(json, request.Headers.Authorization.ToString());
        json.WriteEndObject();
    }

    private static void WriteAuthorization(Utf8JsonWriter json, string header)
    {
        json.WriteStartObject("authorization");
        if (string.IsNullOrEmpty(header))
        {
            json.WriteBoolean("present", false);
            json.WriteEndObject();
            return;
        }

        json.WriteBoolean("present", true);
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        json.WriteString("scheme", space > 0 ? header[..space] : "(none)");
        var token = space > 0 ? header[(space + 1)..] : header;
        var parts = token.Split('.');
        if (parts.Length == 3 && TryReadJson(parts[1]) is { } claims)
        {
            // The payload only: without the signature the output cannot be replayed as a token.
            json.WritePropertyName("jwt_claims");
            claims.WriteTo(json);
        }

        json.WriteEndObject();
    }

    private static JsonElement? TryReadJson(string base64Url)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(base64Url));
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
