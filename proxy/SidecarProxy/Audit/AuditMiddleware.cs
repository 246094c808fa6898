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
        var kind = context.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent;
        var identity = context.Features.Get<IPeerIdentityFeature>()?.Result.Identity;
        if (kind != ListenerKind.Agent || identity is null)
        {
            await _next(context);
            return;
        }

        var audit = new RequestAuditFeature();
        context.Features.Set(audit);
        var receivedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();

        // Reserved before anything is decided or forwarded, so that OnFailure=deny can still refuse.
        var reserved = _writer.TryReserve();
        var failed = true;
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
                    failed = false;
                    return;
                }
            }

            await _next(context);
            failed = false;
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent went away and whatever was waiting for it threw: not a server error, and nobody to answer.
            _aborts.Inc();
            Policy.PolicyDecisionMiddleware.MarkAborted(context);
            failed = false;
        }
        finally
        {
            // An exception that escapes the pipeline becomes a 500 (or an aborted connection) after this point.
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var record = Build(context, identity, audit, receivedAt, _time.GetElapsedTime(started), status);
            if (!(reserved ? _writer.WriteReserved(record) : _writer.TryWrite(record)))
            {
                _metrics.AuditDropped.Inc();
            }
        }
    }

    /// <summary>The reason of a record whose decision is <c>aborted</c>.</summary>
    public const string ClientAbortedReason = "client_aborted";

    private AuditRecord Build(
        HttpContext context, PeerIdentity identity, RequestAuditFeature audit, DateTimeOffset receivedAt, TimeSpan latency, int status)
    {
        var decision = context.Features.Get<IPolicyDecisionFeature>()?.Decision;
        var policySpoke = audit.Denial is null
            || ReferenceEquals(audit.Denial, DenialCode.PolicyDenied)
            || ReferenceEquals(audit.Denial, DenialCode.ApprovalRequired);
        var record = new AuditRecord
        {
            Time = receivedAt,
            RequestId = context.TraceIdentifier,
            DecisionId = decision?.DecisionId,
            SpiffeId = identity.SpiffeId.ToString(),
            TaskId = context.Features.Get<ITaskContextFeature>()?.Task?.Id ?? audit.ClaimedTaskId,
            GrantError = audit.GrantError,
            Tool = context.Features.Get<IToolFeature>()?.Tool.Id,
            Method = context.Request.Method,

            // Path only: a query string may carry secrets.
            Path = context.Request.Path.Value,
            Decision = audit.Aborted ? "aborted" : audit.Denial is not null ? "deny" : decision is { Allowed: true } ? "allow" : "error",
            Reason = audit.Aborted ? ClientAbortedReason : policySpoke && decision?.Reason is { } reason ? reason : audit.Denial?.Value,
            PolicyRevision = decision?.PolicyRevision,
            Scopes = decision?.Scopes,
            TtlSeconds = decision?.CredentialTtl?.TotalSeconds,
            LatencyMs = Math.Round(latency.TotalMilliseconds, 3),
            Status = status,
        };

        return audit.Credential is { } credential
            ? record.WithCredential(credential, decision?.Scopes ?? [], _time.GetUtcNow())
            : record;
    }
}
