using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>
/// The approvals of one sidecar, in memory (a restart forgets them: pending requests are re-asked, approved ones
/// must be approved again, which fails closed). One lock serializes every change; <see cref="IApprovalStore.Changed"/>
/// is raised after the lock is released, in change order per approval.
/// </summary>
internal sealed class InMemoryApprovalStore(IOptions<ApprovalOptions> options, TimeProvider time) : IApprovalStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ApprovalRecord> _records = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<ApprovalRecord>> _waiters = new(StringComparer.Ordinal);
    private readonly ApprovalOptions _options = options.Value;

    public event Action<ApprovalChange>? Changed;

    public int PendingCount
    {
        get
        {
            var changes = new List<ApprovalChange>();
            int count;
            lock (_gate)
            {
                ExpireDue(time.GetUtcNow(), changes);
                count = _records.Values.Count(r => r.State == ApprovalStates.Pending);
            }

            Raise(changes);
            return count;
        }
    }

    public ValueTask<ApprovalRecord> CreateAsync(ApprovalDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var changes = new List<ApprovalChange>();
        ApprovalRecord record;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            ExpireDue(now, changes);
            var existing = draft.Terms.Mode != ApprovalModes.Refuse ? null : _records.Values.FirstOrDefault(r => r.State == ApprovalStates.Pending && r.Digest == draft.Digest && r.Terms.SameAs(draft.Terms));
            if (existing is not null)
            {
                record = existing;
            }
            else
            {
                if (_records.Values.Count(r => r.State == ApprovalStates.Pending) >= _options.MaxPending)
                {
                    Raise(changes);
                    throw new ApprovalCapacityException();
                }

                record = new ApprovalRecord
                {
                    Id = NewId(),
                    Digest = draft.Digest,
                    State = ApprovalStates.Pending,
                    Terms = draft.Terms,
                    Context = draft.Context,
                    CreatedAt = now,
                    ExpiresAt = now + draft.Terms.Ttl,
                };
                _records[record.Id] = record;
                changes.Add(new ApprovalChange("approval_requested", record));
            }
        }

        Raise(changes);
        return ValueTask.FromResult(record);
    }

    public ValueTask<ApprovalRecord?> GetAsync(string id, CancellationToken ct)
    {
        var changes = new List<ApprovalChange>();
        ApprovalRecord? record;
        lock (_gate)
        {
            record = Current(id, time.GetUtcNow(), changes);
        }

        Raise(changes);
        return ValueTask.FromResult(record);
    }

    public ValueTask<IReadOnlyList<ApprovalRecord>> ListAsync(bool pending, CancellationToken ct)
    {
        var changes = new List<ApprovalChange>();
        List<ApprovalRecord> list;
        lock (_gate)
        {
            ExpireDue(time.GetUtcNow(), changes);
            list = [.. _records.Values.Where(r => (r.State == ApprovalStates.Pending) == pending).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)];
        }

        Raise(changes);
        return ValueTask.FromResult<IReadOnlyList<ApprovalRecord>>(list);
    }

    public ValueTask<ApprovalVoteResult> VoteAsync(string id, ApprovalVote vote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vote);
        var changes = new List<ApprovalChange>();
        ApprovalVoteResult result;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var record = Current(id, now, changes);
            if (record is null)
            {
                result = new(ApprovalVoteStatus.NotFound, null);
            }
            else if (record.State == ApprovalStates.Expired)
            {
                result = new(ApprovalVoteStatus.Expired, record);
            }
            else if (record.State != ApprovalStates.Pending)
            {
                result = new(ApprovalVoteStatus.AlreadyDecided, record);
            }
            else if (record.Votes.Any(v => string.Equals(v.Approver, vote.Approver, StringComparison.Ordinal)))
            {
                result = new(ApprovalVoteStatus.AlreadyVoted, record);
            }
            else
            {
                var votes = new List<ApprovalVote>(record.Votes) { vote };
                var updated = record with { Votes = votes };
                if (!vote.Approve)
                {
                    updated = updated with { State = ApprovalStates.Denied, DecidedAt = now, EndedAt = now };
                }
                else if (updated.ApprovedBy.Count >= record.Terms.MinApprovals)
                {
                    updated = updated with { State = ApprovalStates.Approved, DecidedAt = now };
                }

                Replace(updated);
                changes.Add(new ApprovalChange("approval_decided", updated, vote));
                result = new(ApprovalVoteStatus.Recorded, updated);
            }
        }

        Raise(changes);
        return ValueTask.FromResult(result);
    }

    public ValueTask<ApprovalConsumeResult> ConsumeAsync(string id, string digest, CancellationToken ct)
    {
        var changes = new List<ApprovalChange>();
        ApprovalConsumeResult result;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var record = Current(id, now, changes);
            if (record is null || !ApprovalDigest.Matches(record.Digest, digest))
            {
                // Unknown, forged or someone else's: the same answer, so an id reveals nothing.
                result = new(ApprovalConsumeStatus.Mismatch, null);
            }
            else
            {
                result = record.State switch
                {
                    ApprovalStates.Approved => Consume(record, now, changes),
                    ApprovalStates.Pending => new(ApprovalConsumeStatus.Pending, record),
                    ApprovalStates.Denied => new(ApprovalConsumeStatus.Denied, record),
                    ApprovalStates.Expired => new(ApprovalConsumeStatus.Expired, record),
                    ApprovalStates.Used => new(ApprovalConsumeStatus.Used, record),
                    _ => new(ApprovalConsumeStatus.Cancelled, record),
                };
            }
        }

        Raise(changes);
        return ValueTask.FromResult(result);
    }

    public async Task<ApprovalRecord?> WaitAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        TaskCompletionSource<ApprovalRecord> waiter;
        var changes = new List<ApprovalChange>();
        lock (_gate)
        {
            var record = Current(id, time.GetUtcNow(), changes);
            if (record is null || record.State != ApprovalStates.Pending)
            {
                Raise(changes);
                return record;
            }

            if (!_waiters.TryGetValue(id, out waiter!))
            {
                waiter = new TaskCompletionSource<ApprovalRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[id] = waiter;
            }
        }

        Raise(changes);
        try
        {
            return await waiter.Task.WaitAsync(timeout, time, ct);
        }
        catch (TimeoutException)
        {
            return (await GetAsync(id, CancellationToken.None));
        }
    }

    public ValueTask<ApprovalRecord?> EndPendingAsync(string id, string state, CancellationToken ct)
    {
        if (state is not (ApprovalStates.Expired or ApprovalStates.Withdrawn))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "only expired or withdrawn");
        }

        var changes = new List<ApprovalChange>();
        ApprovalRecord? ended = null;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (Current(id, now, changes) is { State: ApprovalStates.Pending } record)
            {
                ended = record with { State = state, EndedAt = now };
                Replace(ended);
                changes.Add(new ApprovalChange("approval_" + state, ended));
            }
        }

        Raise(changes);
        return ValueTask.FromResult(ended);
    }

    public ValueTask<int> CancelAsync(Func<ApprovalRecord, bool> match, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(match);
        var changes = new List<ApprovalChange>();
        lock (_gate)
        {
            var now = time.GetUtcNow();
            ExpireDue(now, changes);
            foreach (var record in _records.Values.Where(r => ApprovalStates.IsOpen(r.State) && match(r)).ToList())
            {
                var cancelled = record with { State = ApprovalStates.Cancelled, EndedAt = now, EndReason = reason };
                Replace(cancelled);
                changes.Add(new ApprovalChange("approval_cancelled", cancelled));
            }
        }

        Raise(changes);
        return ValueTask.FromResult(changes.Count(c => c.Event == "approval_cancelled"));
    }

    public ValueTask<int> SweepAsync(CancellationToken ct)
    {
        var changes = new List<ApprovalChange>();
        lock (_gate)
        {
            var now = time.GetUtcNow();
            ExpireDue(now, changes);
            var horizon = now - _options.DecidedRetention;
            foreach (var old in _records.Values.Where(r => r.EndedAt is { } ended && ended <= horizon).Select(r => r.Id).ToList())
            {
                _records.Remove(old);
            }
        }

        Raise(changes);
        return ValueTask.FromResult(changes.Count);
    }

    private ApprovalConsumeResult Consume(ApprovalRecord record, DateTimeOffset now, List<ApprovalChange> changes)
    {
        var used = record with { State = ApprovalStates.Used, EndedAt = now };
        Replace(used);
        changes.Add(new ApprovalChange("approval_consumed", used));
        return new(ApprovalConsumeStatus.Consumed, used);
    }

    // The record, expired first if its time has run out. Call under the lock.
    private ApprovalRecord? Current(string id, DateTimeOffset now, List<ApprovalChange> changes)
    {
        if (string.IsNullOrEmpty(id) || !_records.TryGetValue(id, out var record))
        {
            return null;
        }

        return ExpireIfDue(record, now, changes);
    }

    private void ExpireDue(DateTimeOffset now, List<ApprovalChange> changes)
    {
        foreach (var record in _records.Values.Where(r => ApprovalStates.IsOpen(r.State) && now >= r.ExpiresAt).ToList())
        {
            ExpireIfDue(record, now, changes);
        }
    }

    private ApprovalRecord ExpireIfDue(ApprovalRecord record, DateTimeOffset now, List<ApprovalChange> changes)
    {
        if (!ApprovalStates.IsOpen(record.State) || now < record.ExpiresAt)
        {
            return record;
        }

        var expired = record with { State = ApprovalStates.Expired, EndedAt = now };
        Replace(expired);
        changes.Add(new ApprovalChange("approval_expired", expired));
        return expired;
    }

    // Stores a new version; wakes whoever waits for this approval to leave the pending state. Call under the lock.
    private void Replace(ApprovalRecord record)
    {
        _records[record.Id] = record;
        if (record.State != ApprovalStates.Pending && _waiters.Remove(record.Id, out var waiter))
        {
            waiter.TrySetResult(record);
        }
    }

    private void Raise(List<ApprovalChange> changes)
    {
        foreach (var change in changes)
        {
            Changed?.Invoke(change);
        }
    }

    /// <summary>128 random bits: an id cannot be guessed, and a guessed one still has to match the request's digest.</summary>
    private static string NewId() => "apr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>Whether <paramref name="id"/> has the shape of an approval id (anything else is not looked up).</summary>
    public static bool IsWellFormedId(string? id) =>
        id is { Length: 36 } && id.StartsWith("apr_", StringComparison.Ordinal) && id.AsSpan(4).ContainsAnyExcept(LowerHexDigits) is false;
}
