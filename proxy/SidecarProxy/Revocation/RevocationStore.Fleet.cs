using Microsoft.Extensions.Logging;

namespace SidecarProxy.Revocation;

/// <summary>A change made on this sidecar (an admin call, the expiry sweep), for the fleet sync to write to Redis.</summary>
internal readonly record struct RevocationChange(RevocationChangeKind Kind, RevocationRecord Record);

internal enum RevocationChangeKind
{
    Created,
    Lifted,
    Expired,
}

/// <summary>The fleet's side of the store: changes announced by other sidecars, and the hook for local ones.</summary>
internal sealed partial class RevocationStore
{
    /// <summary>
    /// Called (under the store's lock, so it must only queue) after each local change took effect: <see cref="Add"/>,
    /// <see cref="Remove"/>, <see cref="RemoveExpired"/>. Changes applied by <see cref="ApplyFleet"/> do not call it.
    /// </summary>
    public Action<RevocationChange>? LocalChanged { get; set; }

    /// <summary>
    /// Applies the fleet's changes: adds the records not held yet and removes the ids given; returns what changed.
    /// Unlike a local change, a fleet change applies even when the state file cannot be written (the file is then a
    /// stale cache, rewritten by the next change): a revocation already decided by the fleet must be enforced here.
    /// </summary>
    public (IReadOnlyList<RevocationRecord> Added, IReadOnlyList<RevocationRecord> Removed) ApplyFleet(
        IReadOnlyCollection<RevocationRecord> add, IReadOnlyCollection<string> remove)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        lock (_gate)
        {
            var current = _snapshot.Records;
            var ids = new HashSet<string>(current.Select(r => r.Id), StringComparer.Ordinal);
            var removeIds = new HashSet<string>(remove, StringComparer.Ordinal);
            var added = add.Where(r => !removeIds.Contains(r.Id) && ids.Add(r.Id)).ToList();
            var removed = current.Where(r => removeIds.Contains(r.Id)).ToList();
            if (added.Count == 0 && removed.Count == 0)
            {
                return ([], []);
            }

            List<RevocationRecord> records = [.. current.Where(r => !removeIds.Contains(r.Id)), .. added];
            if (_statePath is not null)
            {
                try
                {
                    RevocationStateFile.Save(_statePath, records);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogFleetCacheSaveFailed(_logger, ex, _statePath);
                }
            }

            _snapshot = new RevocationSnapshot(records);
            return (added, removed);
        }
    }

    [LoggerMessage(EventId = 12010, Level = LogLevel.Warning,
        Message = "Could not save the revocation state to {Path}; the fleet's change is enforced in memory and the file is rewritten on the next change")]
    private static partial void LogFleetCacheSaveFailed(ILogger logger, Exception exception, string path);
}
