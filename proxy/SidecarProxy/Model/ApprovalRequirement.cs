using SidecarProxy.Rego.Values;

namespace SidecarProxy.Model;

/// <summary>
/// The decision's optional <c>approval</c> object: <c>{"min_approvals": n, "approver_roles": [...],
/// "ttl_seconds": s, "mode": "refuse" | "hold", "hold_seconds": h}</c>. Every member is optional (unset members
/// come from <c>ApprovalOptions</c>); parsing is strict: an unknown member or a wrong type invalidates the
/// whole decision, which then denies.
/// </summary>
internal sealed record ApprovalRequirement
{
    public const int MaxApprovers = 10;
    public const int MaxTtlSeconds = 7 * 24 * 3600;
    public const int MaxHoldSeconds = 3600;

    public int? MinApprovals { get; init; }

    /// <summary>Approver groups: an approver must hold the admin role <c>approve:&lt;group&gt;</c> of one of them. Empty: the role <c>approve</c>.</summary>
    public IReadOnlyList<string> ApproverRoles { get; init; } = [];

    public int? TtlSeconds { get; init; }

    public string? Mode { get; init; }

    public int? HoldSeconds { get; init; }

    /// <summary>Parses <c>decision.approval</c>; false with an error naming the member (never its value).</summary>
    public static bool TryParse(RegoValue value, out ApprovalRequirement requirement, out string error)
    {
        requirement = new ApprovalRequirement();
        error = string.Empty;
        if (value is not RegoObject o)
        {
            error = "decision.approval must be an object";
            return false;
        }

        int? min = null, ttl = null, hold = null;
        string? mode = null;
        IReadOnlyList<string> roles = [];
        foreach (var (k, v) in o.Entries)
        {
            var key = k is RegoString ks ? ks.Value : null;
            switch (key)
            {
                case "min_approvals":
                    if (!TryInt(v, 1, MaxApprovers, out var m))
                    {
                        error = $"decision.approval.min_approvals must be an integer between 1 and {MaxApprovers}";
                        return false;
                    }

                    min = m;
                    break;
                case "ttl_seconds":
                    if (!TryInt(v, 1, MaxTtlSeconds, out var t))
                    {
                        error = $"decision.approval.ttl_seconds must be an integer between 1 and {MaxTtlSeconds}";
                        return false;
                    }

                    ttl = t;
                    break;
                case "hold_seconds":
                    if (!TryInt(v, 1, MaxHoldSeconds, out var h))
                    {
                        error = $"decision.approval.hold_seconds must be an integer between 1 and {MaxHoldSeconds}";
                        return false;
                    }

                    hold = h;
                    break;
                case "mode":
                    if (v is not RegoString ms || !ApprovalModes.IsValid(ms.Value))
                    {
                        error = "decision.approval.mode must be \"refuse\" or \"hold\"";
                        return false;
                    }

                    mode = ms.Value;
                    break;
                case "approver_roles":
                    if (!TryGroups(v, out roles))
                    {
                        error = "decision.approval.approver_roles must be an array of group names (a-z, 0-9, '-', '_', '.')";
                        return false;
                    }

                    break;
                default:
                    error = "decision.approval has an unknown member (allowed: min_approvals, approver_roles, ttl_seconds, mode, hold_seconds)";
                    return false;
            }
        }

        requirement = new ApprovalRequirement { MinApprovals = min, ApproverRoles = roles, TtlSeconds = ttl, Mode = mode, HoldSeconds = hold };
        return true;
    }

    /// <summary>A group name of <c>approver_roles</c> (and of an <c>approve:&lt;group&gt;</c> admin role).</summary>
    public static bool IsGroupName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.');

    private static bool TryInt(RegoValue value, int min, int max, out int result)
    {
        result = 0;
        return value is RegoNumber n && n.TryGetInt32(out result) && result >= min && result <= max;
    }

    private static bool TryGroups(RegoValue value, out IReadOnlyList<string> groups)
    {
        groups = [];
        if (!RegoStrings.TryReadList(value, out var names) || !names.All(IsGroupName))
        {
            return false;
        }

        groups = [.. names.Distinct(StringComparer.Ordinal)];
        return true;
    }
}
