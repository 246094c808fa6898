using System.Collections.Concurrent;
using System.Globalization;
using Prometheus;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Observability;

/// <summary>
/// Labelled children of the hot-path metrics, looked up once per label set. prometheus-net's WithLabels allocates a
/// label sequence on every call; on the request path a dictionary hit on our own bounded keys is cheaper.
/// Keys are bounded by construction: tools come from configuration, codes from <see cref="DenialCode.All"/>,
/// statuses are three-digit HTTP codes.
/// </summary>
internal sealed class SeriesCache(SidecarMetrics metrics)
{
    private static readonly string[] StatusText = CreateStatusText();

    private readonly ConcurrentDictionary<string, ToolSeries> _tools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<DenialCode, Counter.Child> _denials = new();
    private readonly ConcurrentDictionary<DenialCode, Counter.Child> _svid = new();

    public ToolSeries Tool(string tool) => _tools.GetOrAdd(tool, static (t, m) => new ToolSeries(m, t), metrics);

    public Counter.Child Denials(DenialCode code) =>
        _denials.GetOrAdd(code, static (c, m) => m.Denials.WithLabels(c.Value), metrics);

    public Counter.Child SvidRejections(DenialCode code) =>
        _svid.GetOrAdd(code, static (c, m) => m.SvidRejections.WithLabels(c.Value), metrics);

    public static string Status(int status) =>
        status is >= 100 and <= 599 ? StatusText[status - 100] : "other";

    private static string[] CreateStatusText()
    {
        var text = new string[500];
        for (var i = 0; i < text.Length; i++)
        {
            text[i] = (i + 100).ToString(CultureInfo.InvariantCulture);
        }

        return text;
    }
}

/// <summary>The series of one tool label value.</summary>
internal sealed class ToolSeries(SidecarMetrics metrics, string tool)
{
    private readonly ConcurrentDictionary<(string Decision, int Status), Counter.Child> _requests = new();

    public Histogram.Child RequestDuration { get; } = metrics.RequestDuration.WithLabels(tool);

    public Histogram.Child UpstreamDuration { get; } = metrics.UpstreamDuration.WithLabels(tool);

    public Counter.Child Requests(string decision, int status) =>
        _requests.GetOrAdd(
            (decision, status),
            static (key, state) => state.Metrics.Requests.WithLabels(state.Tool, key.Decision, SeriesCache.Status(key.Status)),
            (Metrics: metrics, Tool: tool));
}
