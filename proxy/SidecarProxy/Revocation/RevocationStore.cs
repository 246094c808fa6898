using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// The sidecar's revocation list. Reads (every agent request) take the current immutable
/// <see cref="RevocationSnapshot"/> with one volatile read; changes are serialized by a lock, persisted first
/// (when <see cref="RevocationOptions.StatePath"/> is set) and then published by swapping the snapshot, so a
/// change that could not be saved never takes effect. Fail closed: a check that throws denies (see the stages).
/// </summary>
internal sealed partial class RevocationStore : IRevocationCheck
{
    private readonly Lock _gate = new();
    private readonly string? _statePath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile RevocationSnapshot _snapshot = RevocationSnapshot.Empty;

    public RevocationStore(IOptions<RevocationOptions> options, TimeProvider time, ILogger<RevocationStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _statePath = string.IsNullOrWhiteSpace(options.Value.StatePath) ? null : options.Value.StatePath;
        _time = time;
        _logger = logger;
    }

    public RevocationSnapshot Snapshot => _snapshot;

    /// <summary>
    /// Raised after a record was stored and published (outside the store's lock), so other stores can drop state
    /// of what it covers (pending approvals of a revoked identity or task). Handlers must not throw.
    /// </summary>
    public event Action<RevocationRecord>? Added;

    public bool IsPersistent => _statePath is not null;

    /// <summary>Reads the state file (start-up). Throws <see cref="InvalidDataException"/> or <see cref="IOException"/>.</summary>
    public int Load()
    {
        if (_statePath is null)
        {
            return 0;
        }

        var records = RevocationStateFile.Load(_statePath);
        lock (_gate)
        {
            _snapshot = new RevocationSnapshot(records);
        }

        return records.Count;
    }

    public RevocationVerdict Check(SpiffeId id, string? taskId)
    {
        // The common case on the request path: nothing revoked, one volatile read and no clock call.
        var snapshot = _snapshot;
        return snapshot.IsEmpty ? RevocationVerdict.None : snapshot.Match(id, taskId, _time.GetUtcNow());
    }

    public ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return ValueTask.FromResult(Check(identity.SpiffeId, taskId).IsRevoked);
    }

    public ValueTask<RevocationVerdict> CheckAsync(PeerIdentity identity, string? taskId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return ValueTask.FromResult(Check(identity.SpiffeId, taskId));
    }

    /// <summary>Stores a new record (persisted before it applies) and returns it.</summary>
    public RevocationRecord Add(RevocationSubject subject, string action, string reason, DateTimeOffset? expiresAt, string createdBy)
    {
        RevocationRecord added;
        lock (_gate)
        {
            var record = new RevocationRecord
            {
                Id = NewId(),
                Subject = subject,
                Action = action,
                Reason = reason,
                CreatedAt = _time.GetUtcNow(),
                CreatedBy = createdBy,
                ExpiresAt = expiresAt,
            };
            Publish([.. _snapshot.Records, record]);
            LocalChanged?.Invoke(new RevocationChange(RevocationChangeKind.Created, record));
            added = record;
        }

        Added?.Invoke(added);
        return added;
    }

    /// <summary>Removes a record; null when no record has that id.</summary>
    public RevocationRecord? Remove(string id)
    {
        lock (_gate)
        {
            var existing = _snapshot.Records.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.Ordinal));
            if (existing is null)
            {
                return null;
            }

            Publish([.. _snapshot.Records.Where(r => !ReferenceEquals(r, existing))]);
            LocalChanged?.Invoke(new RevocationChange(RevocationChangeKind.Lifted, existing));
            return existing;
        }
    }

    /// <summary>Drops records whose expiry has passed; returns them.</summary>
    public IReadOnlyList<RevocationRecord> RemoveExpired()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var expired = _snapshot.Records.Where(r => !r.IsActive(now)).ToList();
            if (expired.Count > 0)
            {
                Publish([.. _snapshot.Records.Where(r => r.IsActive(now))]);
                foreach (var record in expired)
                {
                    LocalChanged?.Invoke(new RevocationChange(RevocationChangeKind.Expired, record));
                }
            }

            return expired;
        }
    }

    /// <summary>Active records by action (for the gauge).</summary>
    public int CountActive(string action)
    {
        var now = _time.GetUtcNow();
        return _snapshot.Records.Count(r => r.Action == action && r.IsActive(now));
    }

    private void Publish(List<RevocationRecord> records)
    {
        if (_statePath is not null)
        {
            try
            {
                RevocationStateFile.Save(_statePath, records);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSaveFailed(_logger, ex, _statePath);
                throw new RevocationStateException("the revocation state could not be saved; nothing was changed", ex);
            }
        }

        _snapshot = new RevocationSnapshot(records);
    }

    private static string NewId() => "rev_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    [LoggerMessage(EventId = 12001, Level = LogLevel.Error, Message = "Could not save the revocation state to {Path}; the change was not applied")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, string path);
}

/// <summary>A change to the revocation list could not be persisted (and was not applied).</summary>
internal sealed class RevocationStateException : Exception
{
    public RevocationStateException()
    {
    }

    public RevocationStateException(string message)
        : base(message)
    {
    }

    public RevocationStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
