using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SidecarProxy.Hosting;

namespace SidecarProxy.Dev;

/// <summary>
/// The Development demo tool: a JSON echo served on its own plain-HTTP listener, so the demo route has an
/// upstream without a second process. The echo shows the headers the tool received, which makes the
/// stripping of agent credentials visible.
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
            json.WriteString(name.ToLowerInvariant(), values.ToString());
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
