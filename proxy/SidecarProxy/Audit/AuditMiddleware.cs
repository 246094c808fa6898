using Microsoft.AspNetCore.Http;
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
/// disk never holds a request, and a full queue is counted in <c>sidecar_audit_records_dropped_total</c>.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer, SidecarMetrics metrics, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var kind = context.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent;
        var identity = context.Features.Get<IPeerIdentityFeature>()?.Result.Identity;
        if (kind != ListenerKind.Agent || identity is null)
        {
            await next(context);
            return;
        }

        var audit = new RequestAuditFeature();
        context.Features.Set(audit);
        var receivedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            // An exception that escapes the pipeline becomes a 500 (or an aborted connection) after this point.
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var record = Build(context, identity, audit, receivedAt, time.GetElapsedTime(started), status);
            if (!writer.TryWrite(record))
            {
                metrics.AuditDropped.Inc();
            }
        }
    }

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
            TaskId = context.Features.Get<ITaskContextFeature>()?.Task?.Id,
            Tool = context.Features.Get<IToolFeature>()?.Tool.Id,
            Method = context.Request.Method,

            // Path only: a query string may carry secrets.
            Path = context.Request.Path.Value,
            Decision = audit.Denial is not null ? "deny" : decision is { Allowed: true } ? "allow" : "error",
            Reason = policySpoke && decision?.Reason is { } reason ? reason : audit.Denial?.Value,
            PolicyRevision = decision?.PolicyRevision,
            Scopes = decision?.Scopes,
            TtlSeconds = decision?.CredentialTtl?.TotalSeconds,
            LatencyMs = Math.Round(latency.TotalMilliseconds, 3),
            Status = status,
            McpMethod = audit.Mcp is [var first, ..] ? first.Method : null,
            McpName = audit.Mcp?.FirstOrDefault(m => m.Name is not null)?.Name,
            McpMessages = audit.Mcp is { Count: > 1 } messages ? messages : null,
        };

        return audit.Credential is { } credential
            ? record.WithCredential(credential, decision?.Scopes ?? [], time.GetUtcNow())
            : record;
    }
}
