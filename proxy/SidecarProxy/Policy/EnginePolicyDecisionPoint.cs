using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy;

/// <summary>
/// The policy decision point backed by a Rego engine (embedded or an OPA server): builds the input
/// document, evaluates the decision rule, and parses the answer strictly. Any fault, an undefined
/// decision or a malformed one throws, which the pipeline turns into 503 <c>policy_unavailable</c>.
/// </summary>
internal sealed partial class EnginePolicyDecisionPoint : IPolicyDecisionPoint
{
    private readonly IPolicyEngine _engine;
    private readonly PolicyOptions _options;
    private readonly Prometheus.Histogram.Child _duration;
    private readonly ILogger _logger;

    public EnginePolicyDecisionPoint(IPolicyEngine engine, PolicyOptions options, SidecarMetrics metrics, ILogger<EnginePolicyDecisionPoint> logger)
    {
        _engine = engine;
        _options = options;
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(metrics);

        // The engine is fixed for the life of the decision point: its series is resolved once, not per request.
        _duration = metrics.PolicyDecisionDuration.WithLabels(engine.Name);
        _logger = logger;
    }

    public async ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var input = BuildInput(request);

        // The deadline is enforced inside each engine (the embedded engine's evaluation budget, the OPA client's
        // HttpClient timeout), so no per-request timer is needed here; both throw PolicyEngineException.
        var started = Stopwatch.GetTimestamp();
        PolicyEngineResult result;
        try
        {
            result = await _engine.EvaluateAsync(input, ct);
        }
        finally
        {
            _duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        if (!DecisionDocument.TryParse(result.Value, out var decision, out var error))
        {
            LogMalformed(_logger, _options.Decision, error, result.Revision);
            throw new PolicyEngineException($"{_options.Decision}: {error}");
        }

        return decision with { DecisionId = result.DecisionId, PolicyRevision = result.Revision };
    }

    /// <summary>The input document for a request (credential headers were already removed from it).</summary>
    internal static RegoObject BuildInput(PolicyRequest request, RegoValue? approval = null) => PolicyInputBuilder.Build(request, approval);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Error, Message = "Policy decision {Decision} is unusable ({Error}) under revision {Revision}; denying")]
    private static partial void LogMalformed(ILogger logger, string decision, string error, string revision);
}
