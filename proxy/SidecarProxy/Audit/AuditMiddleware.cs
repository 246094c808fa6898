using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Routing;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Audit;

/// <summary>
/// Writes one audit record per agent request whose identity is known, allowed or denied, when the request
/// ends (the forwarded response included, so the status and latency are the agent's). Only enqueues: a slow
/// disk never holds a request.
/// <para>
/// The record's place in the queue is reserved when the request starts, before anything is decided or forwarded.
/// When there is none (the queue is full: the writer cannot keep up) or the destination is failing, the request is
/// refused with 503 <c>audit_unavailable</c> (<c>Sidecar:Audit:OnFailure=deny</c>, the default) or served anyway
/// (<c>serve</c>); either way it is counted in <c>sidecar_audit_unavailable_total{action}</c>, and its record is
/// still offered to the queue (a drop is counted in <c>sidecar_audit_records_dropped_total</c>).
/// </para>
/// A request the client abandons is not a server error: it is audited as <c>aborted</c> (status 499) and counted in
/// <c>sidecar_client_aborts_total</c>, whatever stage noticed.
/// </summary>
internal sealed class AuditMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AuditWriter _writer;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly DenialResponder _denials;
    private readonly AuditFailureMode _onFailure;
    private readonly ILogger _logger;
    private readonly Prometheus.Counter.Child _unavailable;
    private readonly Prometheus.Counter.Child _aborts;
    private long _unavailableCount;

    public AuditMiddleware(
        RequestDelegate next,
        AuditWriter writer,
        SidecarMetrics metrics,
        TimeProvider time,
        DenialResponder denials,
        IOptions<AuditOptions> options,
        ILogger<AuditMiddleware> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _writer = writer;
        _metrics = metrics;
        _time = time;
        _denials = denials;
        _onFailure = options.Value.OnFailure;
        _logger = logger;
        _unavailable = metrics.AuditUnavailable.WithLabels(_onFailure == AuditFailureMode.Deny ? "deny" : "serve");
        _aborts = metrics.ClientAborts.WithLabels("pipeline");
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var identity = context.FindPeerIdentity();
        if (!context.IsAgentRequest() || identity is null)
        {
            await _next(context);
            return;
        }

        // The first stage started the outcome; a pipeline assembled without it (a test of this stage) starts it here.
        var outcome = context.FindOutcome();
        if (outcome is null)
        {
            outcome = new RequestOutcome(_time.GetTimestamp(), _time.GetUtcNow());
            context.Features.Set(outcome);
        }

        // Reserved before anything is decided or forwarded, so that OnFailure=deny can still refuse.
        var reserved = _writer.TryReserve();
        var threw = true;
        try
        {
            if (!reserved || _writer.IsFaulted)
            {
                var count = Interlocked.Increment(ref _unavailableCount);
                _unavailable.Inc();
                if (count == 1 || count % 1000 == 0)
                {
                    AuditLog.Unavailable(_logger, reserved ? "destination failing" : "queue full", _onFailure == AuditFailureMode.Deny ? "deny" : "serve", count);
                }

                if (_onFailure == AuditFailureMode.Deny)
                {
                    await _denials.DenyAsync(context, DenialCode.AuditUnavailable, "the audit trail is unavailable; the request was not forwarded");
                    threw = false;
                    return;
                }
            }

            await _next(context);
            threw = false;
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent went away and whatever was waiting for it threw: not a server error, and nobody to answer.
            _aborts.Inc();
            outcome.Abort(context.Response);
            threw = false;
        }
        finally
        {
            var record = Build(context, identity, outcome, outcome.FinalStatus(context.Response, threw));
            if (!(reserved ? _writer.WriteReserved(record) : _writer.TryWrite(record)))
            {
                _metrics.AuditDropped.Inc();
            }
        }
    }

    /// <summary>The reason of a record whose decision is <c>aborted</c>.</summary>
    public const string ClientAbortedReason = "client_aborted";

    private AuditRecord Build(HttpContext context, PeerIdentity identity, RequestOutcome outcome, int status)
    {
        var decision = context.FindDecision();
        var policySpoke = outcome.Denial is null
            || ReferenceEquals(outcome.Denial, DenialCode.PolicyDenied)
            || ReferenceEquals(outcome.Denial, DenialCode.ApprovalRequired);
        var record = new AuditRecord
        {
            Time = outcome.ReceivedAt,
            RequestId = context.TraceIdentifier,
            DecisionId = decision?.DecisionId,
            SpiffeId = identity.SpiffeId.ToString(),
            TaskId = context.FindTask()?.Id ?? outcome.ClaimedTaskId,
            GrantError = outcome.GrantError,
            Tool = context.FindTool()?.Id,
            Method = context.Request.Method,

            // Path only: a query string may carry secrets.
            Path = context.Request.Path.Value,
            Decision = outcome.Verdict,
            Reason = outcome.Aborted ? ClientAbortedReason : policySpoke && decision?.Reason is { } reason ? reason : outcome.Denial?.Value,
            PolicyRevision = decision?.PolicyRevision,
            Scopes = decision?.Scopes,
            TtlSeconds = decision?.CredentialTtl?.TotalSeconds,
            LatencyMs = Math.Round(_time.GetElapsedTime(outcome.StartTimestamp).TotalMilliseconds, 3),
            Status = status,
            McpMethod = outcome.Mcp is [var first, ..] ? first.Method : null,
            McpName = outcome.Mcp?.FirstOrDefault(m => m.Name is not null)?.Name,
            McpMessages = outcome.Mcp is { Count: > 1 } messages ? messages : null,
        };

        return outcome.Credential is { } credential
            ? record.WithCredential(credential, decision?.Scopes ?? [], _time.GetUtcNow())
            : record;
    }
}
