using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using StackExchange.Redis;

namespace SidecarProxy.Approvals;

/// <summary>
/// The approvals of a fleet, in Redis (<c>Sidecar:Approvals:Redis</c>): any sidecar's API decides any approval, and
/// every change is one Lua script (<see cref="RedisApprovalScripts"/>), so an approval is consumed at most once
/// fleet-wide: two sidecars racing to consume it, exactly one wins. A held request waits for the announcement of a
/// decision (pub/sub) and polls every <see cref="HoldPollInterval"/> in case one is lost. <see cref="IApprovalStore.Changed"/>
/// is raised for the changes this sidecar made (each change is audited once, by the sidecar that made it).
/// Redis unreachable: every call throws <see cref="ApprovalStoreUnavailableException"/> at once (nothing is
/// approved by default; the caller refuses), except the sweep, which waits for the connection.
/// </summary>
internal sealed class RedisApprovalStore : IApprovalStore
{
    /// <summary>How often a held request re-reads its approval, in case an announcement was lost.</summary>
    public static readonly TimeSpan HoldPollInterval = TimeSpan.FromMilliseconds(500);

    private readonly ApprovalOptions _options;
    private readonly ApprovalRedisConnection _redis;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);
    private int _pending;

    public RedisApprovalStore(IOptions<ApprovalOptions> options, ApprovalRedisConnection redis, SidecarMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        _options = options.Value;
        _redis = redis;
        _metrics = metrics;
        _time = time;
        redis.Announced += (id, _) => Wake(id);
    }

    public event Action<ApprovalChange>? Changed;

    /// <summary>The fleet's pending approvals as of the last sweep (every few seconds) or change made here.</summary>
    public int PendingCount => Volatile.Read(ref _pending);

    public async ValueTask<ApprovalRecord> CreateAsync(ApprovalDraft draft, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var now = _time.GetUtcNow();
        var record = new ApprovalRecord
        {
            Id = NewId(),
            Digest = draft.Digest,
            State = ApprovalStates.Pending,
            Terms = draft.Terms,
            Context = draft.Context,
            CreatedAt = now,
            ExpiresAt = now + draft.Terms.Ttl,
        };
        var dedupe = draft.Terms.Mode == ApprovalModes.Refuse;
        var lifetime = (long)(draft.Terms.Ttl + _options.DecidedRetention).TotalMilliseconds + 1000;
        var reply = await RunAsync(
            RedisApprovalScripts.Create,
            now,
            RedisApprovalScripts.RecordPrefix + record.Id,
            dedupe ? RedisApprovalCodec.DedupeKey(draft.Digest, draft.Terms) : RedisApprovalScripts.DedupePrefix + "none",
            record.Id, record.Digest, RedisApprovalCodec.UnixMs(record.ExpiresAt), record.Terms.MinApprovals,
            RedisApprovalCodec.SerializeData(record), _options.MaxPending, lifetime, dedupe ? "1" : "0", RedisApprovalCodec.UnixMs(now));
        var changes = Expired(reply);
        var outcome = (int)reply[1];
        if (outcome < 0)
        {
            Raise(changes);
            throw new ApprovalCapacityException();
        }

        var stored = RedisApprovalCodec.Parse(reply[2])!;
        if (outcome == 1)
        {
            Interlocked.Increment(ref _pending);
            changes.Add(new ApprovalChange("approval_requested", stored));
        }

        Raise(changes);
        return stored;
    }

    public async ValueTask<ApprovalRecord?> GetAsync(string id, CancellationToken ct)
    {
        var reply = await RunAsync(RedisApprovalScripts.Get, _time.GetUtcNow(), RecordKey(id), null, id);
        Raise(Expired(reply));
        return RedisApprovalCodec.Parse(reply[1]);
    }

    public async ValueTask<IReadOnlyList<ApprovalRecord>> ListAsync(bool pending, CancellationToken ct)
    {
        var records = await ReadSetAsync(pending ? "pending" : "all");
        return [.. records.Where(r => (r.State == ApprovalStates.Pending) == pending).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    public async ValueTask<ApprovalVoteResult> VoteAsync(string id, ApprovalVote vote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vote);
        var reply = await RunAsync(
            RedisApprovalScripts.Vote, _time.GetUtcNow(), RecordKey(id), null, id, vote.Approver, vote.Approve ? "1" : "0", RedisApprovalCodec.SerializeVote(vote));
        var changes = Expired(reply);
        var record = reply.Length > 2 ? RedisApprovalCodec.Parse(reply[2]) : null;
        var status = (string?)reply[1] switch
        {
            "recorded" => ApprovalVoteStatus.Recorded,
            "expired" => ApprovalVoteStatus.Expired,
            "decided" => ApprovalVoteStatus.AlreadyDecided,
            "voted" => ApprovalVoteStatus.AlreadyVoted,
            _ => ApprovalVoteStatus.NotFound,
        };
        if (status == ApprovalVoteStatus.Recorded)
        {
            changes.Add(new ApprovalChange("approval_decided", record!, vote));
            if (record!.State != ApprovalStates.Pending)
            {
                Interlocked.Decrement(ref _pending);
                Wake(id);
            }
        }

        Raise(changes);
        return new ApprovalVoteResult(status, record);
    }

    public async ValueTask<ApprovalConsumeResult> ConsumeAsync(string id, string digest, CancellationToken ct)
    {
        var reply = await RunAsync(RedisApprovalScripts.Consume, _time.GetUtcNow(), RecordKey(id), null, id, digest);
        var changes = Expired(reply);
        var record = reply.Length > 2 ? RedisApprovalCodec.Parse(reply[2]) : null;
        var status = (string?)reply[1] switch
        {
            "consumed" => ApprovalConsumeStatus.Consumed,
            ApprovalStates.Pending => ApprovalConsumeStatus.Pending,
            ApprovalStates.Denied => ApprovalConsumeStatus.Denied,
            ApprovalStates.Expired => ApprovalConsumeStatus.Expired,
            ApprovalStates.Used => ApprovalConsumeStatus.Used,
            ApprovalStates.Withdrawn or ApprovalStates.Cancelled => ApprovalConsumeStatus.Cancelled,
            _ => ApprovalConsumeStatus.Mismatch,
        };
        if (status == ApprovalConsumeStatus.Consumed)
        {
            changes.Add(new ApprovalChange("approval_consumed", record!));
        }

        Raise(changes);
        return new ApprovalConsumeResult(status, status == ApprovalConsumeStatus.Mismatch ? null : record);
    }

    public async Task<ApprovalRecord?> WaitAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            // Registered before reading, so an announcement between the read and the wait is not missed.
            var waiter = _waiters.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            try
            {
                var record = await GetAsync(id, ct);
                var remaining = TimeSpan.FromSeconds((double)(deadline - _time.GetTimestamp()) / _time.TimestampFrequency);
                if (record is null || record.State != ApprovalStates.Pending || remaining <= TimeSpan.Zero)
                {
                    _waiters.TryRemove(KeyValuePair.Create(id, waiter));
                    return record;
                }

                await waiter.Task.WaitAsync(remaining < HoldPollInterval ? remaining : HoldPollInterval, _time, ct);
            }
            catch (TimeoutException)
            {
                // The poll: read again.
            }
            catch (Exception)
            {
                // Cancelled (the agent left) or Redis failed: nobody waits any more.
                _waiters.TryRemove(KeyValuePair.Create(id, waiter));
                throw;
            }
        }
    }

    public async ValueTask<ApprovalRecord?> EndPendingAsync(string id, string state, CancellationToken ct)
    {
        if (state is not (ApprovalStates.Expired or ApprovalStates.Withdrawn))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "only expired or withdrawn");
        }

        var reply = await RunAsync(RedisApprovalScripts.EndPending, _time.GetUtcNow(), RecordKey(id), null, id, state);
        var changes = Expired(reply);
        ApprovalRecord? ended = null;
        if ((int)reply[1] == 1)
        {
            ended = RedisApprovalCodec.Parse(reply[2])!;
            Interlocked.Decrement(ref _pending);
            changes.Add(new ApprovalChange("approval_" + state, ended));
        }

        Raise(changes);
        return ended;
    }

    public async ValueTask<int> CancelAsync(Func<ApprovalRecord, bool> match, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(match);

        // The predicate runs here; each cancellation is its own compare-and-set, so one decided meanwhile is left alone.
        var cancelled = 0;
        foreach (var record in (await ReadSetAsync("open")).Where(r => ApprovalStates.IsOpen(r.State) && match(r)))
        {
            var reply = await RunAsync(RedisApprovalScripts.Cancel, _time.GetUtcNow(), RecordKey(record.Id), null, record.Id, reason);
            var changes = Expired(reply);
            if ((int)reply[1] == 1)
            {
                var ended = RedisApprovalCodec.Parse(reply[2])!;
                changes.Add(new ApprovalChange("approval_cancelled", ended));
                cancelled++;
                Wake(record.Id);
            }

            Raise(changes);
        }

        return cancelled;
    }

    public async ValueTask<int> SweepAsync(CancellationToken ct)
    {
        if (!_redis.IsConnected)
        {
            // The connection logs the outage once; the sweep resumes when it is back.
            return 0;
        }

        var total = 0;

        // Bounded: each run expires at most 100; 10 runs per sweep, the rest on the next one.
        for (var round = 0; round < 10; round++)
        {
            var reply = await RunAsync(RedisApprovalScripts.Sweep, _time.GetUtcNow(), null, null);
            var changes = Expired(reply);
            Volatile.Write(ref _pending, (int)reply[1]);
            Raise(changes);
            total += changes.Count;
            if (changes.Count < 100)
            {
                break;
            }
        }

        return total;
    }

    private async Task<List<ApprovalRecord>> ReadSetAsync(string set)
    {
        var reply = await RunAsync(RedisApprovalScripts.List, _time.GetUtcNow(), null, null, set);
        Raise(Expired(reply));
        return [.. ((RedisResult[])reply[1]!).Select(RedisApprovalCodec.Parse).OfType<ApprovalRecord>()];
    }

    private async Task<RedisResult[]> RunAsync(string script, DateTimeOffset now, string? record, string? dedupe, params RedisValue[] args)
    {
        if (!_redis.IsConnected || _redis.Database is not { } database)
        {
            _metrics.ApprovalStoreErrors.Inc();
            throw new ApprovalStoreUnavailableException("the approval store (Redis) is unreachable");
        }

        RedisKey[] keys =
        [
            RedisApprovalScripts.PendingKey, RedisApprovalScripts.OpenKey, RedisApprovalScripts.AllKey,
            record ?? RedisApprovalScripts.RecordPrefix + "none", dedupe ?? RedisApprovalScripts.DedupePrefix + "none",
        ];
        var keep = ((long)_options.DecidedRetention.TotalMilliseconds + 1000).ToString(CultureInfo.InvariantCulture);
        RedisValue[] values = [RedisApprovalScripts.Channel, RedisApprovalCodec.UnixMs(now), keep, RedisApprovalScripts.RecordPrefix, .. args];
        try
        {
            return (RedisResult[])(await database.ScriptEvaluateAsync(script, keys, values))!;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis' own text can name the endpoint, never the password; the message here is fixed anyway.
            _metrics.ApprovalStoreErrors.Inc();
            throw new ApprovalStoreUnavailableException("the approval store (Redis) failed: " + ex.GetType().Name, ex);
        }
    }

    private static List<ApprovalChange> Expired(RedisResult[] reply) =>
        [.. ((RedisResult[])reply[0]!).Select(RedisApprovalCodec.Parse).OfType<ApprovalRecord>().Select(r => new ApprovalChange("approval_expired", r))];

    private static string RecordKey(string id) => RedisApprovalScripts.RecordPrefix + id;

    private void Wake(string id)
    {
        if (_waiters.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    private void Raise(List<ApprovalChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.Event == "approval_expired")
            {
                Wake(change.Record.Id);
            }

            Changed?.Invoke(change);
        }
    }

    /// <summary>128 random bits, as <see cref="InMemoryApprovalStore"/>'s ids (the API checks their shape).</summary>
    private static string NewId() => "apr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
