using System.Collections.Frozen;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// An immutable index of the revocation records, swapped atomically by <see cref="RevocationStore"/>. A check is
/// at most three dictionary lookups (exact SPIFFE ID, trust domain, task) plus a scan of the prefix list, which is
/// skipped when it is empty. Expired records are kept in the index and skipped at match time, so a record stops
/// applying at its expiry even before the sweep removes it.
/// </summary>
internal sealed class RevocationSnapshot
{
    public static readonly RevocationSnapshot Empty = new([]);

    private readonly FrozenDictionary<string, RevocationRecord[]> _bySpiffeId;
    private readonly FrozenDictionary<string, RevocationRecord[]> _byTrustDomain;
    private readonly FrozenDictionary<string, RevocationRecord[]> _byTask;
    private readonly (string Prefix, RevocationRecord Record)[] _prefixes;

    public RevocationSnapshot(IReadOnlyList<RevocationRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Records = records;
        _bySpiffeId = Index(records, SubjectKinds.SpiffeId);
        _byTrustDomain = Index(records, SubjectKinds.TrustDomain);
        _byTask = Index(records, SubjectKinds.Task);
        _prefixes = [.. records.Where(r => r.Subject.Kind == SubjectKinds.SpiffeIdPrefix)
            .Select(r => (NormalizePrefix(r.Subject.Value), r))];
    }

    /// <summary>Every record, in creation order.</summary>
    public IReadOnlyList<RevocationRecord> Records { get; }

    public bool IsEmpty => Records.Count == 0;

    /// <summary>
    /// The strongest record that applies to <paramref name="id"/> (and <paramref name="taskId"/> when known) at
    /// <paramref name="now"/>: a revoke wins over a quarantine; among quarantines the first found.
    /// </summary>
    public RevocationVerdict Match(SpiffeId id, string? taskId, DateTimeOffset now)
    {
        if (IsEmpty)
        {
            return RevocationVerdict.None;
        }

        RevocationRecord? quarantined = null;
        var idString = id.ToString();
        if (Find(_bySpiffeId, idString, now, ref quarantined) is { } exact)
        {
            return new RevocationVerdict(exact, null);
        }

        // TrustDomain.Name slices the ID (an allocation): only when some record names a trust domain.
        if (_byTrustDomain.Count > 0 && Find(_byTrustDomain, id.TrustDomain.Name, now, ref quarantined) is { } domain)
        {
            return new RevocationVerdict(domain, null);
        }

        if (taskId is not null && Find(_byTask, taskId, now, ref quarantined) is { } task)
        {
            return new RevocationVerdict(task, null);
        }

        foreach (var (prefix, record) in _prefixes)
        {
            if (record.IsActive(now) && MatchesPrefix(prefix, idString))
            {
                if (record.Action == RevocationActions.Revoke)
                {
                    return new RevocationVerdict(record, null);
                }

                quarantined ??= record;
            }
        }

        return new RevocationVerdict(null, quarantined);
    }

    /// <summary>Whether a record's subject covers <paramref name="id"/> (task records never match an identity).</summary>
    public static bool Covers(RevocationSubject subject, SpiffeId id)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return subject.Kind switch
        {
            SubjectKinds.SpiffeId => string.Equals(subject.Value, id.ToString(), StringComparison.Ordinal),
            SubjectKinds.TrustDomain => string.Equals(subject.Value, id.TrustDomain.Name, StringComparison.Ordinal),
            SubjectKinds.SpiffeIdPrefix => MatchesPrefix(NormalizePrefix(subject.Value), id.ToString()),
            _ => false,
        };
    }

    /// <summary>
    /// A prefix is a path subtree: <c>spiffe://td/agent/team-a</c> (with or without the trailing slash) covers
    /// <c>spiffe://td/agent/team-a/x</c> and nothing else (not <c>.../team-ab</c>, not <c>.../team-a</c> itself).
    /// </summary>
    internal static bool MatchesPrefix(string normalizedPrefix, string id) =>
        id.Length > normalizedPrefix.Length && id.StartsWith(normalizedPrefix, StringComparison.Ordinal);

    /// <summary>The prefix with exactly one trailing slash.</summary>
    internal static string NormalizePrefix(string prefix) => prefix.TrimEnd('/') + "/";

    private static RevocationRecord? Find(
        FrozenDictionary<string, RevocationRecord[]> index, string key, DateTimeOffset now, ref RevocationRecord? quarantined)
    {
        if (!index.TryGetValue(key, out var records))
        {
            return null;
        }

        foreach (var record in records)
        {
            if (!record.IsActive(now))
            {
                continue;
            }

            if (record.Action == RevocationActions.Revoke)
            {
                return record;
            }

            quarantined ??= record;
        }

        return null;
    }

    private static FrozenDictionary<string, RevocationRecord[]> Index(IReadOnlyList<RevocationRecord> records, string kind) =>
        records.Where(r => r.Subject.Kind == kind)
            .GroupBy(r => r.Subject.Value, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
}
