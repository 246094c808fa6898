namespace SidecarProxy.Approvals;

/// <summary>
/// Where approvals live. Every change is atomic (one record at a time), so a vote, a consumption and an expiry
/// never interleave: an approval is consumed at most once. The sidecar's implementation is
/// <see cref="InMemoryApprovalStore"/> (one process); a shared implementation (e.g. Redis, for a fleet) implements
/// the same contract, raising <see cref="Changed"/> for changes made through this instance.
/// An approval that is pending or approved past its <see cref="ApprovalRecord.ExpiresAt"/> is expired: every
/// method sees it so, whether or not the sweep has run.
/// </summary>
internal interface IApprovalStore
{
    /// <summary>A change made through this store (the audit trail and the metrics listen).</summary>
    event Action<ApprovalChange>? Changed;

    /// <summary>Approvals pending right now.</summary>
    int PendingCount { get; }

    /// <summary>
    /// Stores a new pending approval; in refuse mode, returns the pending approval with the same digest and terms
    /// instead (an agent that asks again without an id gets the same one). Throws <see cref="ApprovalCapacityException"/> when
    /// <c>MaxPending</c> approvals are pending.
    /// </summary>
    ValueTask<ApprovalRecord> CreateAsync(ApprovalDraft draft, CancellationToken ct);

    ValueTask<ApprovalRecord?> GetAsync(string id, CancellationToken ct);

    /// <summary>Pending (<paramref name="pending"/> true) or every other approval, oldest first.</summary>
    ValueTask<IReadOnlyList<ApprovalRecord>> ListAsync(bool pending, CancellationToken ct);

    /// <summary>Records a vote on a pending approval: any denial denies; enough distinct approvers approve.</summary>
    ValueTask<ApprovalVoteResult> VoteAsync(string id, ApprovalVote vote, CancellationToken ct);

    /// <summary>Consumes an approved approval whose digest is <paramref name="digest"/>, exactly once.</summary>
    ValueTask<ApprovalConsumeResult> ConsumeAsync(string id, string digest, CancellationToken ct);

    /// <summary>
    /// Waits until the approval is no longer pending (then returns it), <paramref name="timeout"/> passes (returns it
    /// still pending) or <paramref name="ct"/> is cancelled (throws). Null when the id is unknown.
    /// </summary>
    Task<ApprovalRecord?> WaitAsync(string id, TimeSpan timeout, CancellationToken ct);

    /// <summary>Ends a pending approval as <see cref="ApprovalStates.Expired"/> or <see cref="ApprovalStates.Withdrawn"/>; null when it was not pending.</summary>
    ValueTask<ApprovalRecord?> EndPendingAsync(string id, string state, CancellationToken ct);

    /// <summary>Cancels every open (pending or approved) approval <paramref name="match"/> selects; returns how many.</summary>
    ValueTask<int> CancelAsync(Func<ApprovalRecord, bool> match, string reason, CancellationToken ct);

    /// <summary>Expires what is due and forgets ended approvals older than the retention; returns how many expired.</summary>
    ValueTask<int> SweepAsync(CancellationToken ct);
}

/// <summary>A change: <see cref="Event"/> is the audit event (<c>approval_requested</c>, <c>approval_decided</c>, ...).</summary>
internal sealed record ApprovalChange(string Event, ApprovalRecord Record, ApprovalVote? Vote = null);

internal enum ApprovalVoteStatus
{
    Recorded,
    NotFound,
    AlreadyDecided,
    Expired,
    AlreadyVoted,
}

internal readonly record struct ApprovalVoteResult(ApprovalVoteStatus Status, ApprovalRecord? Record);

internal enum ApprovalConsumeStatus
{
    Consumed,
    Mismatch,
    Pending,
    Denied,
    Expired,
    Used,
    Cancelled,
}

internal readonly record struct ApprovalConsumeResult(ApprovalConsumeStatus Status, ApprovalRecord? Record);

/// <summary>Too many approvals are pending; the new one was not stored.</summary>
internal sealed class ApprovalCapacityException : Exception
{
    public ApprovalCapacityException()
        : base("too many approvals are pending")
    {
    }

    public ApprovalCapacityException(string message)
        : base(message)
    {
    }

    public ApprovalCapacityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
