using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy;

/// <summary>
/// The policy decision point backed by a Rego engine (embedded or an OPA server): builds the input
/// document, evaluates the decision rule, and parses the answer strictly. Any fault, an undefined
/// decision or a malformed one throws, which the pipeline turns into 503 <c>policy_unavailable</c>.
/// Each failure is counted in <c>sidecar_policy_eval_errors_total{code}</c>; a policy error (an evaluation error
/// such as a conflict, or an unusable decision) is logged with its location once per distinct error and policy
/// revision, not once per request: a policy that conflicts on some inputs would otherwise flood the log.
/// </summary>
internal sealed partial class EnginePolicyDecisionPoint : IPolicyDecisionPoint
{
    /// <summary>Code of a decision value that is undefined or does not parse (see <see cref="DecisionDocument"/>).</summary>
    public const string DecisionInvalidCode = "decision_invalid";

    /// <summary>Code of an engine fault that is not a Rego evaluation error (OPA unreachable, timed out, ...).</summary>
    public const string EngineUnavailableCode = "engine_unavailable";

    // Distinct errors logged per revision; beyond this they are still counted, not logged (bounded memory and log).
    private const int MaxReportedPerRevision = 64;

    private readonly IPolicyEngine _engine;
    private readonly PolicyOptions _options;
    private readonly Prometheus.Histogram.Child _duration;
    private readonly SidecarMetrics _metrics;
    private readonly ConcurrentDictionary<string, Prometheus.Counter.Child> _errors = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private volatile Reported _reported = new(string.Empty);

    public EnginePolicyDecisionPoint(IPolicyEngine engine, PolicyOptions options, SidecarMetrics metrics, ILogger<EnginePolicyDecisionPoint> logger)
    {
        _engine = engine;
        _options = options;
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;

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
        catch (PolicyEngineException e) when (!ct.IsCancellationRequested)
        {
            // A cancelled caller (the agent went away) is not a policy error: the pipeline counts it as a client abort.
            var code = (e.InnerException as RegoEvaluationException)?.Code ?? EngineUnavailableCode;
            Count(code);
            if (e.InnerException is not RegoEvaluationException)
            {
                // Not a policy error but an outage (OPA unreachable, timed out): logged as it happens, as before.
                LogEngineFailed(_logger, _engine.Name, e.Message);
            }
            else if (FirstReport(_engine.Revision, e.Message))
            {
                LogEvaluationFailed(_logger, e.Message, _engine.Revision);
            }

            throw;
        }
        finally
        {
            _duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        if (!DecisionDocument.TryParse(result.Value, new DecisionProvenance(result.DecisionId, result.Revision), out var decision, out var error))
        {
            Count(DecisionInvalidCode);
            var message = $"{_options.Decision}: {DecisionInvalidCode}: {error}";
            if (FirstReport(result.Revision, message))
            {
                LogMalformed(_logger, _options.Decision, error, result.Revision);
            }

            throw new PolicyEngineException(message);
        }

        return decision;
    }

    /// <summary>The input document for a request (credential headers were already removed from it).</summary>
    internal static RegoObject BuildInput(PolicyRequest request, RegoValue? approval = null) => PolicyInputBuilder.Build(request, approval);

    private void Count(string code) =>
        _errors.GetOrAdd(code, static (c, m) => m.PolicyEvalErrors.WithLabels(c), _metrics).Inc();

    /// <summary>
    /// True the first time <paramref name="message"/> is seen under <paramref name="revision"/> (the caller then logs
    /// it); a new revision starts afresh, so a reload that still has (or reintroduces) the error logs it again.
    /// </summary>
    private bool FirstReport(string revision, string message)
    {
        var reported = _reported;
        if (!string.Equals(reported.Revision, revision, StringComparison.Ordinal))
        {
            var fresh = new Reported(revision);
            reported = Interlocked.CompareExchange(ref _reported, fresh, reported) == reported ? fresh : _reported;
            if (!string.Equals(reported.Revision, revision, StringComparison.Ordinal))
            {
                // Two revisions racing (a reload mid-request): log rather than lose the error.
                reported = new Reported(revision);
            }
        }

        return reported.Messages.Count < MaxReportedPerRevision && reported.Messages.TryAdd(message, 0);
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Error, Message = "Policy decision {Decision} is unusable ({Error}) under revision {Revision}; denying (logged once per revision)")]
    private static partial void LogMalformed(ILogger logger, string decision, string error, string revision);

    [LoggerMessage(EventId = 3111, EventName = "PolicyEvaluationFailed", Level = LogLevel.Error,
        Message = "Policy evaluation failed: {Error} (revision {Revision}); requests that hit it are refused with policy_unavailable (logged once per revision)")]
    private static partial void LogEvaluationFailed(ILogger logger, string error, string revision);

    [LoggerMessage(EventId = 3112, EventName = "PolicyEngineFailed", Level = LogLevel.Error,
        Message = "Policy engine {Engine} failed: {Error}; denying")]
    private static partial void LogEngineFailed(ILogger logger, string engine, string error);

    private sealed class Reported(string revision)
    {
        public string Revision { get; } = revision;

        public ConcurrentDictionary<string, byte> Messages { get; } = new(StringComparer.Ordinal);
    }
}
