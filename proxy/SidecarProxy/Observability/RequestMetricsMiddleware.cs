using Microsoft.AspNetCore.Http;
using SidecarProxy.Model;

namespace SidecarProxy.Observability;

/// <summary>
/// First stage of the agent pipeline: starts the request's <see cref="RequestOutcome"/> and, once the response status
/// is known, counts the request by tool, verdict and status and observes its duration. Requests refused before
/// routing (bad SVID, unknown tool) have the tool <see cref="NoTool"/>. Requests on the other listeners (operations,
/// admin, demo) are not agent requests: they get no outcome and are not counted here.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SeriesCache series, TimeProvider time)
{
    /// <summary>The tool label of a request that never reached a tool route.</summary>
    public const string NoTool = "none";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            await next(context);
            return;
        }

        var outcome = new RequestOutcome(time.GetTimestamp(), time.GetUtcNow());
        context.Features.Set(outcome);
        var threw = true;
        try
        {
            await next(context);
            threw = false;
        }
        finally
        {
            var tool = series.Tool(context.FindTool()?.Id ?? NoTool);
            tool.Requests(outcome.Verdict, outcome.FinalStatus(context.Response, threw)).Inc();
            tool.RequestDuration.Observe(time.GetElapsedTime(outcome.StartTimestamp).TotalSeconds);
        }
    }
}
