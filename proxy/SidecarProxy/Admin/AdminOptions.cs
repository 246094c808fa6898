using SidecarProxy.Model;


namespace SidecarProxy.Admin;

/// <summary>
/// <c>Sidecar:Admin</c>: the admin API (revocation and quarantine). Off unless <see cref="Listen"/> is set; then
/// it is its own mTLS listener, and only <see cref="Principals"/> may use it.
/// </summary>
internal sealed record AdminOptions
{
    public const string SectionName = "Sidecar:Admin";

    /// <summary><c>https://</c>, an IP literal or <c>localhost</c>, and a port of its own. Null: not bound.</summary>
    public string? Listen { get; init; }

    /// <summary>Who may call the admin API, by SPIFFE ID (exact, or a glob over path segments), and with which roles.</summary>
    public List<AdminPrincipalOptions> Principals { get; init; } = [];

    /// <summary>Shared Signals transmitters whose SETs <c>POST /admin/ssf/events</c> accepts (see docs/containment.md).</summary>
    public List<TransmitterOptions> Transmitters { get; init; } = [];
}

/// <summary>One entry of <c>Sidecar:Admin:Principals</c>.</summary>
internal sealed record AdminPrincipalOptions
{
    /// <summary>A SPIFFE ID, or a glob: <c>*</c> matches within one path segment, a <c>**</c> segment any number of segments.</summary>
    public string? Id { get; init; }

    /// <summary>Any of <c>revoke</c>, <c>approve</c>, <c>approve:&lt;group&gt;</c>, <c>read</c>.</summary>
    public List<string> Roles { get; init; } = [];
}

/// <summary>The admin roles.</summary>
internal static class AdminRoles
{
    /// <summary>Create and lift revocations and quarantines (and list them).</summary>
    public const string Revoke = "revoke";

    /// <summary>Decide approvals (and list them); <c>approve:&lt;group&gt;</c> decides those whose <c>approver_roles</c> name the group.</summary>
    public const string Approve = "approve";

    /// <summary>Prefix of the scoped approver roles, <c>approve:&lt;group&gt;</c>.</summary>
    public const string ApprovePrefix = "approve:";

    /// <summary>List revocations and approvals.</summary>
    public const string Read = "read";

    public static readonly IReadOnlyList<string> All = [Revoke, Approve, Read];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="All"/> or a scoped approver role <c>approve:&lt;group&gt;</c>.</summary>
    public static bool IsValid(string role) =>
        All.Contains(role)
        || (role.StartsWith(ApprovePrefix, StringComparison.Ordinal) && ApprovalRequirement.IsGroupName(role[ApprovePrefix.Length..]));

    /// <summary>Whether <paramref name="role"/> lets its holder decide some approvals.</summary>
    public static bool IsApprover(string role) => role == Approve || role.StartsWith(ApprovePrefix, StringComparison.Ordinal);
}
