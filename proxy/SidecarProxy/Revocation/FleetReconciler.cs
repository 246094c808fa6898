namespace SidecarProxy.Revocation;

/// <summary>
/// What a sidecar does to agree with the fleet's set (<see cref="FleetRecordSet"/>), a two-phase set: the result
/// is the union of both sides minus every tombstoned id. So a record the fleet holds and this sidecar does not is
/// added here; a record this sidecar holds that the fleet has tombstoned is removed here; a record this sidecar
/// holds that the fleet neither holds nor tombstoned is written back to the fleet (made here while Redis was
/// unreachable, or lost with Redis' data): never dropped, which fails closed. Expired records are left to the
/// expiry sweep on both sides.
/// </summary>
internal static class FleetReconciler
{
    public static FleetPlan Plan(
        IReadOnlyList<RevocationRecord> local, FleetSnapshot fleet, IReadOnlySet<string> pendingLifts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(pendingLifts);
        var localIds = new HashSet<string>(local.Select(r => r.Id), StringComparer.Ordinal);
        var add = fleet.Records.Values
            .Where(r => !localIds.Contains(r.Id) && !fleet.Lifted.ContainsKey(r.Id) && !pendingLifts.Contains(r.Id) && r.IsActive(now))
            .OrderBy(r => r.CreatedAt)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        var remove = local.Where(r => fleet.Lifted.ContainsKey(r.Id)).Select(r => r.Id).ToList();
        var push = local
            .Where(r => !fleet.Records.ContainsKey(r.Id) && !fleet.Lifted.ContainsKey(r.Id) && r.IsActive(now))
            .ToList();
        return new FleetPlan(add, remove, push);
    }
}

/// <summary>Records to add here, ids to remove here, records to write to the fleet.</summary>
internal sealed record FleetPlan(IReadOnlyList<RevocationRecord> Add, IReadOnlyList<string> Remove, IReadOnlyList<RevocationRecord> Push)
{
    public bool IsEmpty => Add.Count == 0 && Remove.Count == 0 && Push.Count == 0;
}
