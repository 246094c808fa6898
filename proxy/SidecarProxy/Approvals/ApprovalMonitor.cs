using Microsoft.Extensions.Logging;
using SidecarProxy.Audit;
using SidecarProxy.Observability;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Approvals;

/// <summary>
/// Connects the approval store to the rest of the sidecar: one audit line per change, the approval metrics, and
/// the revocation store (a revoke of an identity or a task cancels its open approvals, so neither a pending nor an
/// approved-but-unused approval survives it).
/// </summary>
internal sealed partial class ApprovalMonitor
{
    private readonly AuditWriter _audit;
    private readonly SidecarMetrics _metrics;
    private readonly IApprovalStore _store;
    private readonly ILogger _logger;

    public ApprovalMonitor(
        IApprovalStore store, AuditWriter audit, SidecarMetrics metrics, RevocationStore revocations, ILogger<ApprovalMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(revocations);
        ArgumentNullException.ThrowIfNull(metrics);
        _store = store;
        _audit = audit;
        _metrics = metrics;
        _logger = logger;
        store.Changed += OnChanged;
        revocations.Added += OnRevoked;
        metrics.ApprovalsPending.Set(0);
        metrics.ApprovalsHeld.Set(0);
        metrics.Registry.AddBeforeCollectCallback(() => metrics.ApprovalsPending.Set(store.PendingCount));
    }

    private void OnRevoked(RevocationRecord record)
    {
        if (record.Action != RevocationActions.Revoke)
        {
            return;
        }

        try
        {
            var subject = record.Subject;
            var cancelled = _store.CancelAsync(
                approval => subject.Kind == SubjectKinds.Task
                    ? string.Equals(approval.Context.TaskId, subject.Value, StringComparison.Ordinal)
                    : SpiffeId.TryParse(approval.Context.SpiffeId, out var id, out _) && RevocationSnapshot.Covers(subject, id),
                record.Id,
                CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (cancelled > 0)
            {
                LogCancelled(_logger, cancelled, record.Id);
            }
        }
#pragma warning disable CA1031 // A failing store must not fail the revocation; consumption re-checks revocation anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCancelFailed(_logger, ex, record.Id);
        }
    }

    private void OnChanged(ApprovalChange change)
    {
        var record = change.Record;
        var vote = change.Vote;
        string outcome = change.Event switch
        {
            "approval_decided" when record.State is ApprovalStates.Approved or ApprovalStates.Denied => record.State,
            "approval_expired" => "expired",
            "approval_withdrawn" => "withdrawn",
            "approval_cancelled" => "cancelled",
            _ => string.Empty,
        };
        if (outcome.Length > 0)
        {
            _metrics.ApprovalDecisions.WithLabels(outcome).Inc();
            if (outcome is "approved" or "denied" && record.DecidedAt is { } decided)
            {
                _metrics.ApprovalDecisionDuration.WithLabels(outcome).Observe(Math.Max(0, (decided - record.CreatedAt).TotalSeconds));
            }
        }

        var actor = change.Event switch
        {
            "approval_decided" => vote?.Approver,
            "approval_expired" or "approval_cancelled" => "sidecar",
            _ => record.Context.SpiffeId,
        };
        var line = new AuditRecord
        {
            Time = vote?.At ?? record.EndedAt ?? record.CreatedAt,
            SpiffeId = actor,
            TaskId = record.Context.TaskId,
            Tool = record.Context.Tool,
            Method = record.Context.Method,
            Path = record.Context.Path,
            DecisionId = record.Context.DecisionId,
            PolicyRevision = record.Context.PolicyRevision,
            Decision = change.Event switch
            {
                "approval_decided" => vote is { Approve: true } ? "allow" : "deny",
                "approval_consumed" => "allow",
                "approval_requested" => "hold",
                _ => "deny",
            },
            Reason = change.Event == "approval_requested" ? record.Context.Reason : vote?.Comment,
            Approval = new ApprovalAuditDetails
            {
                Event = change.Event,
                ApprovalId = record.Id,
                State = record.State,
                Agent = record.Context.SpiffeId,
                Mode = record.Terms.Mode,
                MinApprovals = record.Terms.MinApprovals,
                Approvals = record.ApprovedBy.Count,
                Vote = vote is null ? null : vote.Approve ? "approve" : "deny",
                OnBehalfOf = vote?.OnBehalfOf,
                ApproverName = vote?.ApproverName,
                Comment = vote?.Comment,
                ExpiresAt = record.ExpiresAt,
                Cause = change.Event == "approval_cancelled" ? record.EndReason : null,
            },
        };
        if (!_audit.TryWrite(line))
        {
            _metrics.AuditDropped.Inc();
        }
    }

    [LoggerMessage(EventId = 13001, Level = LogLevel.Information, Message = "Revocation {RecordId} cancelled {Count} open approval(s)")]
    private static partial void LogCancelled(ILogger logger, int count, string recordId);

    [LoggerMessage(EventId = 13002, Level = LogLevel.Error, Message = "Revocation {RecordId}: the open approvals it covers could not be cancelled")]
    private static partial void LogCancelFailed(ILogger logger, Exception exception, string recordId);
}
