using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.Observability;

/// <summary>
/// Last stage of the YARP pipeline, right around the forwarder: the time from handing the request to the forwarder
/// until the tool's response headers are relayed to the agent (the forwarder starts the agent's response right
/// after it receives the tool's headers). A forwarder error (502/504) is timed the same way.
/// </summary>
internal sealed class UpstreamMetricsMiddleware(RequestDelegate next, SeriesCache series)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var timer = new UpstreamTimer(series.Tool(context.GetTool().Id), Stopwatch.GetTimestamp());
        context.Response.OnStarting(UpstreamTimer.OnStarting, timer);
        try
        {
            await next(context);
        }
        finally
        {
            // No response started (e.g. the agent went away): time to the end of forwarding instead.
            timer.Observe();
        }
    }

    private sealed class UpstreamTimer(ToolSeries tool, long start)
    {
        public static readonly Func<object, Task> OnStarting = state =>
        {
            ((UpstreamTimer)state).Observe();
            return Task.CompletedTask;
        };

        private int _observed;

        public void Observe()
        {
            if (Interlocked.Exchange(ref _observed, 1) == 0)
            {
                tool.UpstreamDuration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
    }
}
