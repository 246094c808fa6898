namespace SidecarProxy.Observability;

/// <summary>
/// Per-request state of the metrics stage: when the request entered the pipeline, what was decided about it and
/// when forwarding started. Set by <see cref="RequestMetricsMiddleware"/>, filled in by <see cref="MetricsProxyEvents"/>
/// and <see cref="UpstreamMetricsMiddleware"/>.
/// </summary>
internal sealed class RequestMetricsFeature(long startTimestamp)
{
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>One of <see cref="Decisions"/>; <see cref="Decisions.Error"/> until a stage says otherwise.</summary>
    public string Decision { get; set; } = Decisions.Error;
}

/// <summary>The closed set of values of the <c>decision</c> label.</summary>
internal static class Decisions
{
    public const string Allow = "allow";
    public const string Deny = "deny";

    /// <summary>The sidecar could not decide or serve: an engine or credential fault, or an unexpected exception.</summary>
    public const string Error = "error";
}
