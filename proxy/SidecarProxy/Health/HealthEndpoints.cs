using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Hosting;
using SidecarProxy.Model;

namespace SidecarProxy.Health;

/// <summary>
/// <c>/healthz</c> (the process answers) and <c>/readyz</c> (every <see cref="IReadinessCheck"/> passes: 200, status
/// <c>ready</c>, or <c>degraded</c> when a check is ready in a degraded mode; otherwise 503 <c>not_ready</c>).
/// </summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Text("ok\n", "text/plain"))
            .RequireListener(ListenerKind.Operations);
        endpoints.MapGet("/readyz", ReadyAsync)
            .RequireListener(ListenerKind.Operations);
        return endpoints;
    }

    private static async Task ReadyAsync(HttpContext context)
    {
        var checks = context.RequestServices.GetServices<IReadinessCheck>();
        var ready = true;
        var degraded = false;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("checks");
            foreach (var check in checks)
            {
                ReadinessResult result;
                try
                {
                    result = await check.CheckAsync(context.RequestAborted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    result = ReadinessResult.Unhealthy("check failed: " + ex.GetType().Name);
                }

                ready &= result.Ready;
                degraded |= result.Degraded;
                json.WriteStartObject(check.Name);
                json.WriteBoolean("ready", result.Ready);
                if (result.Degraded)
                {
                    json.WriteBoolean("degraded", true);
                }

                json.WriteString("detail", result.Detail);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteString("status", !ready ? "not_ready" : degraded ? "degraded" : "ready");
            json.WriteEndObject();
        }

        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
