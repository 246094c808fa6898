using System.Text.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Admin;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Signals;

/// <summary>
/// <c>POST /admin/ssf/events</c> on the admin listener: RFC 8935 push delivery of Security Event Tokens
/// (<c>Content-Type: application/secevent+jwt</c>). The caller must present a valid X.509-SVID (the admin
/// listener's handshake and rules; no admin role is needed, and a transmitter may be pinned to a SPIFFE ID); the SET
/// itself is authenticated by its signature (<see cref="SetReceiver"/>). 202 when accepted; otherwise RFC 8935's
/// error body <c>{"err": ..., "description": ...}</c>: 400 for a SET that is refused, 401 <c>authentication_failed</c>
/// without a valid SVID, 403 <c>access_denied</c> for a caller not allowed for that issuer, 503 when the
/// sidecar cannot take it now (retry). A refused SET changes nothing.
/// </summary>
internal static class SsfEndpoints
{
    public const string EventsPath = "/admin/ssf/events";
    public const string SetMediaType = "application/secevent+jwt";
    private const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapSsfEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost(EventsPath, (RequestDelegate)ReceiveAsync).RequireListener(ListenerKind.Admin);
        return endpoints;
    }

    private static async Task ReceiveAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var audit = services.GetRequiredService<AdminAudit>();
        var result = context.Features.Get<IPeerIdentityFeature>()?.Result;
        if (result?.Identity is not { } identity
            || services.GetRequiredService<TimeProvider>().GetUtcNow() > identity.NotAfter)
        {
            var code = result?.Failure ?? DenialCode.SvidMissing;
            audit.Refused(context, result?.Identity?.SpiffeId.ToString(), "ssf_authentication_failed", 401);
            await WriteErrorAsync(context, 401, "authentication_failed",
                "a valid X.509-SVID is required on the admin listener (" + (result?.Identity is null ? code.Value : DenialCode.SvidExpired.Value) + ")");
            return;
        }

        var caller = identity.SpiffeId;
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, SetMediaType, StringComparison.OrdinalIgnoreCase))
        {
            audit.Refused(context, caller.ToString(), "ssf_invalid_request", 400);
            await WriteErrorAsync(context, 400, "invalid_request", "the Content-Type must be " + SetMediaType);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.ASCII);
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException)
        {
            audit.Refused(context, caller.ToString(), "ssf_invalid_request", 400);
            await WriteErrorAsync(context, 400, "invalid_request", $"the SET must be at most {MaxBodyBytes} bytes");
            return;
        }

        var outcome = await services.GetRequiredService<SetReceiver>().ReceiveAsync(body, caller, context.RequestAborted);
        if (outcome.Status != 202)
        {
            audit.Refused(context, caller.ToString(), "ssf_" + outcome.Error, outcome.Status);
            await WriteErrorAsync(context, outcome.Status, outcome.Error!, outcome.Description!);
            return;
        }

        if (outcome.Record is { } record)
        {
            audit.Changed(context, "ssf:" + outcome.Issuer, "revocation_created", record, 202, outcome.Closed, outcome.Purged);
        }

        context.Response.StatusCode = 202;
        context.Response.ContentLength = 0;
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string error, string description)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("err", error);
            json.WriteString("description", description);
            json.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
