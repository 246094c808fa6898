using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SidecarProxy.Audit;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// Applies a decision's <c>contain</c> (<see cref="PolicyContainment"/>) like an admin revocation: through the same
/// store (so it is persisted, and shared wherever the store is), enforced by the same enforcer, audited as
/// <c>revocation_created</c> with <c>created_by</c> = <c>policy:&lt;decision id, or the policy revision&gt;</c>, the
/// decision id and the request id. A subject already revoked, or already contained with the same action, is not
/// stored again (a rule that fires on every request must not flood the list). Fails closed: a task-scoped contain on
/// a request without a task, a subject that cannot be stored, or a state file that cannot be written refuses the
/// request with 503 <c>policy_unavailable</c>. A revoke refuses the current request with 403 <c>revoked</c>; the
/// enforcement closes the identity's other connections (or aborts the task's other requests) at once, and the
/// current request's connection gracefully once that answer is sent, so the agent receives it.
/// </summary>
internal sealed partial class PolicyContainmentApplier(
    RevocationStore store,
    RevocationEnforcer enforcer,
    DenialResponder denials,
    AuditWriter audit,
    SidecarMetrics metrics,
    TimeProvider time,
    ILogger<PolicyContainmentApplier> logger)
{
    /// <summary>Applies <paramref name="decision"/>'s contain; returns whether the request may go on (false: the refusal is written).</summary>
    public async Task<bool> ApplyAsync(HttpContext context, PolicyRequest request, PolicyDecision decision)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Contain is not { } contain)
        {
            return true;
        }

        RevocationSubject subject;
        if (contain.Scope == PolicyContainment.TaskScope)
        {
            if (request.Task is not { } task)
            {
                LogNoTask(logger, request.ToolId);
                await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy asked to contain the task of a request without a task grant");
                return false;
            }

            subject = new RevocationSubject(SubjectKinds.Task, task.Id);
        }
        else
        {
            subject = new RevocationSubject(SubjectKinds.SpiffeId, request.SpiffeId);
        }

        if (RevocationRequest.ValidateSubject(subject.Kind, subject.Value) is { } invalid)
        {
            LogUnusableSubject(logger, subject.Kind, invalid);
            await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy asked to contain a subject the sidecar cannot store");
            return false;
        }

        var createdBy = "policy:" + (decision.DecisionId ?? decision.PolicyRevision ?? "unknown");
        var now = time.GetUtcNow();
        var existing = store.Snapshot.Records.FirstOrDefault(r => r.Subject == subject && r.IsActive(now)
            && (r.Action == contain.Action || r.Action == RevocationActions.Revoke));
        if (existing is null)
        {
            RevocationRecord record;
            try
            {
                record = store.Add(subject, contain.Action, contain.Reason, null, createdBy);
            }
            catch (RevocationStateException)
            {
                await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the containment the policy asked for could not be stored");
                return false;
            }

            LogContained(logger, record.Id, record.Action, subject.Kind, createdBy);
            Enforce(context, record, request, decision, createdBy);
        }

        if (contain.Action == RevocationActions.Revoke)
        {
            await denials.DenyAsync(context, DenialCode.Revoked, $"{contain.Scope} revoked by policy: {contain.Reason}");
            return false;
        }

        return true;
    }

    private void Enforce(HttpContext context, RevocationRecord record, PolicyRequest request, PolicyDecision decision, string createdBy)
    {
        int closed = 0, purged = 0;
        try
        {
            // The current request is answered (403 revoked, or what the decision says); its connection closes after.
            (closed, purged) = enforcer.Apply(record, context);
        }
#pragma warning disable CA1031 // The record is stored and refuses new requests; a failed purge or close is logged, and the request is still refused.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEnforceFailed(logger, ex, record.Id);
        }

        var line = new AuditRecord
        {
            Time = time.GetUtcNow(),
            RequestId = context.TraceIdentifier,
            DecisionId = decision.DecisionId,
            PolicyRevision = decision.PolicyRevision,
            SpiffeId = createdBy,
            TaskId = record.Subject.Kind == SubjectKinds.Task ? record.Subject.Value : request.Task?.Id,
            Tool = request.ToolId,
            Method = request.Method,
            Path = context.Request.Path.Value,
            Decision = "allow",
            Reason = record.Reason,
            Status = 201,
            Admin = new AdminAuditDetails
            {
                Event = "revocation_created",
                RevocationId = record.Id,
                SubjectKind = record.Subject.Kind,
                Subject = record.Subject.Value,
                Action = record.Action,
                ConnectionsClosed = closed,
                CredentialsPurged = purged,
            },
        };
        if (!audit.TryWrite(line))
        {
            metrics.AuditDropped.Inc();
        }
    }

    [LoggerMessage(EventId = 12010, Level = LogLevel.Warning,
        Message = "Policy contained a subject: revocation {RecordId} ({Action} of a {SubjectKind}) created by {CreatedBy}")]
    private static partial void LogContained(ILogger logger, string recordId, string action, string subjectKind, string createdBy);

    [LoggerMessage(EventId = 12011, Level = LogLevel.Error,
        Message = "The policy asked to contain the task of a request to tool {ToolId} that has no task grant; refusing")]
    private static partial void LogNoTask(ILogger logger, string toolId);

    [LoggerMessage(EventId = 12012, Level = LogLevel.Error,
        Message = "The policy asked to contain a {SubjectKind} that cannot be stored ({Problem}); refusing")]
    private static partial void LogUnusableSubject(ILogger logger, string subjectKind, string problem);

    [LoggerMessage(EventId = 12013, Level = LogLevel.Error, Message = "Enforcing the policy's revocation {RecordId} failed")]
    private static partial void LogEnforceFailed(ILogger logger, Exception exception, string recordId);
}
