using System.Diagnostics.CodeAnalysis;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// Credentials by <see cref="CredentialCacheKey"/>, with one in-flight fetch per key: a burst of first
/// requests, or every request arriving just after an expiry, makes a single call to the source. Entries stop
/// being used before the credential expires (10% of its lifetime, at most 30 s), failed fetches are not
/// kept, and the size is bounded.
/// </summary>
internal sealed class CredentialCache : IDisposable
{
    private static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(30);

    // A few retries cover losing races against concurrent replacement; beyond that, fetch uncached.
    private const int MaxAttempts = 4;

    private readonly ConcurrentDictionary<CredentialCacheKey, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly int _maxEntries;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _shutdown = new();

    public CredentialCache(TimeProvider time, int maxEntries, ILogger<CredentialCache> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _time = time;
        _maxEntries = maxEntries;
        _logger = logger;
    }

    public int Count => _entries.Count;

    /// <summary>
    /// The cached credential for <paramref name="key"/> when it is fetched and still usable under
    /// <paramref name="limit"/>: the request path's common case, answered without a fetch delegate or a wait.
    /// </summary>
    public bool TryGetUsable(CredentialCacheKey key, DateTimeOffset limit, [NotNullWhen(true)] out ProviderCredential? credential)
    {
        if (_entries.TryGetValue(key, out var existing) && IsUsable(existing, limit))
        {
            credential = existing.Completion.Task.Result;
            return true;
        }

        credential = null;
        return false;
    }

    /// <summary>Returns the cached credential for <paramref name="key"/> or fetches one.</summary>
    /// <param name="key">The binding of the credential.</param>
    /// <param name="limit">Latest moment this request may use a credential (decision TTL, task expiry, MaxTtl).</param>
    /// <param name="fetch">Obtains a new credential; runs at most once at a time per key, detached from any caller's cancellation.</param>
    /// <param name="cancellationToken">Stops this caller waiting; does not cancel a fetch others may be waiting for.</param>
    public async ValueTask<(ProviderCredential Credential, bool CacheHit)> GetOrFetchAsync(
        CredentialCacheKey key,
        DateTimeOffset limit,
        Func<CancellationToken, ValueTask<ProviderCredential>> fetch,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (!existing.Completion.Task.IsCompleted)
                {
                    var joined = await existing.Completion.Task.WaitAsync(cancellationToken);
                    if (existing.Bound <= limit)
                    {
                        return (joined, true);
                    }

                    continue;
                }

                if (IsUsable(existing, limit))
                {
                    return (existing.Completion.Task.Result, true);
                }

                // Expired, failed, or bound to a longer lifetime than this decision allows: replace it.
                _entries.TryRemove(KeyValuePair.Create(key, existing));
                continue;
            }

            var entry = new Entry();
            if (!_entries.TryAdd(key, entry))
            {
                continue;
            }

            EnforceBound();
            _ = FetchIntoAsync(key, entry, limit, fetch);
            return (await entry.Completion.Task.WaitAsync(cancellationToken), false);
        }

        return (await fetch(_shutdown.Token), false);
    }

    private bool IsUsable(Entry entry, DateTimeOffset limit) =>
        entry.Completion.Task.IsCompletedSuccessfully && _time.GetUtcNow() < entry.UseUntil && entry.Bound <= limit;

    /// <summary>Drops every entry of one agent (identity revoked).</summary>
    public int RemoveIdentity(string spiffeId) => RemoveWhere(k => string.Equals(k.SpiffeId, spiffeId, StringComparison.Ordinal));

    /// <summary>Drops every entry of one task (task revoked).</summary>
    public int RemoveTask(string taskId) => RemoveWhere(k => string.Equals(k.TaskId, taskId, StringComparison.Ordinal));

    /// <summary>Drops every entry whose key satisfies <paramref name="predicate"/> (revocation of a subtree or trust domain).</summary>
    public int RemoveMatching(Func<CredentialCacheKey, bool> predicate) => RemoveWhere(predicate);

    /// <summary>How many entries (fetched or being fetched) satisfy <paramref name="predicate"/>; read-only.</summary>
    public int CountMatching(Func<CredentialCacheKey, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return _entries.Keys.Count(predicate);
    }

    /// <summary>
    /// Drops every entry whose key satisfies <paramref name="predicate"/> and hands back exactly those entries, each
    /// with its credential (a completed task, or the fetch still in flight), so that their tokens can be revoked at
    /// the issuer. Entries of any other key are neither removed nor returned.
    /// </summary>
    public IReadOnlyList<PurgedCredential> Purge(Func<CredentialCacheKey, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var purged = new List<PurgedCredential>();
        foreach (var pair in _entries)
        {
            if (predicate(pair.Key) && _entries.TryRemove(pair))
            {
                purged.Add(new PurgedCredential(pair.Key, pair.Value.Completion.Task));
            }
        }

        return purged;
    }

    public void Clear() => _entries.Clear();

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }

    private async Task FetchIntoAsync(
        CredentialCacheKey key,
        Entry entry,
        DateTimeOffset limit,
        Func<CancellationToken, ValueTask<ProviderCredential>> fetch)
    {
        try
        {
            var fetchedAt = _time.GetUtcNow();
            var credential = await fetch(_shutdown.Token);
            var bound = credential.ExpiresAt < limit ? credential.ExpiresAt : limit;
            var lifetime = bound - fetchedAt;
            var skew = lifetime > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, MaxSkew.Ticks)) : TimeSpan.Zero;
            entry.Bound = bound;
            entry.UseUntil = bound - skew;
            if (entry.UseUntil <= _time.GetUtcNow())
            {
                // Too short-lived to reuse: hand it to the waiting callers only.
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }

            entry.Completion.TrySetResult(credential);
        }
#pragma warning disable CA1031 // Any failure must reach the waiting callers, and must not stay cached.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            entry.Completion.TrySetException(ex);
        }
    }

    private void EnforceBound()
    {
        if (_entries.Count <= _maxEntries)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var removed = RemoveWhere((_, e) => e.Completion.Task.IsCompleted && (!e.Completion.Task.IsCompletedSuccessfully || e.UseUntil <= now));
        if (_entries.Count > _maxEntries)
        {
            // Evict down to 90% so the next inserts do not each pay for a sweep.
            var target = _maxEntries - (_maxEntries / 10);
            var victims = _entries
                .Where(p => p.Value.Completion.Task.IsCompleted)
                .OrderBy(p => p.Value.UseUntil)
                .Take(Math.Max(0, _entries.Count - target))
                .ToList();
            foreach (var victim in victims)
            {
                if (_entries.TryRemove(victim))
                {
                    removed++;
                }
            }
        }

        if (removed > 0)
        {
            CredentialLog.CacheEvicted(_logger, removed);
        }
    }

    private int RemoveWhere(Func<CredentialCacheKey, bool> predicate) => RemoveWhere((k, _) => predicate(k));

    private int RemoveWhere(Func<CredentialCacheKey, Entry, bool> predicate)
    {
        var removed = 0;
        foreach (var pair in _entries)
        {
            if (predicate(pair.Key, pair.Value) && _entries.TryRemove(pair))
            {
                removed++;
            }
        }

        return removed;
    }

    private sealed class Entry
    {
        public TaskCompletionSource<ProviderCredential> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Latest moment the credential may be used by the request that fetched it.</summary>
        public DateTimeOffset Bound { get; set; }

        /// <summary>Bound minus skew: when the cache stops handing it out.</summary>
        public DateTimeOffset UseUntil { get; set; }
    }
}
