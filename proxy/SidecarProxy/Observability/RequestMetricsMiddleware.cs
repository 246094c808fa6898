using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Routing;

namespace SidecarProxy.Observability;

/// <summary>
/// First stage of the agent pipeline: times every agent request and, once the response status is known, counts it
/// by tool, decision and status. Requests refused before routing (bad SVID, unknown tool) have the tool
/// <see cref="NoTool"/>. Operations and demo listener requests are not agent requests and are not counted.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SeriesCache series)
{
    /// <summary>The tool label of a request that never reached a tool route.</summary>
    public const string NoTool = "none";

    public async Task InvokeAsync(HttpContext context)
    {
        var kind = context.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent;
        if (kind != ListenerKind.Agent)
        {
            await next(context);
            return;
        }

        var feature = new RequestMetricsFeature(Stopwatch.GetTimestamp());
        context.Features.Set(feature);
        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            // An exception escaping the pipeline becomes a 500 from the server unless the response had started.
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var tool = series.Tool(context.Features.Get<IToolFeature>()?.Tool.Id ?? NoTool);
            tool.Requests(feature.Decision, status).Inc();
            tool.RequestDuration.Observe(Stopwatch.GetElapsedTime(feature.StartTimestamp).TotalSeconds);
        }
    }
}
