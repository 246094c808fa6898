namespace SidecarProxy.Admin;

/// <summary>
/// <c>Sidecar:Admin</c>: the admin API (revocation and quarantine). Off unless <see cref="Listen"/> is set; then
/// it is its own mTLS listener, and only <see cref="Principals"/> may use it.
/// </summary>
internal sealed record AdminOptions
{
    /// <summary><c>https://</c>, an IP literal or <c>localhost</c>, and a port of its own. Null: not bound.</summary>
    public string? Listen { get; init; }

    /// <summary>Who may call the admin API, by SPIFFE ID (exact, or a glob over path segments), and with which roles.</summary>
    public List<AdminPrincipalOptions> Principals { get; init; } = [];

    /// <summary>Shared Signals transmitters whose SETs <c>POST /admin/ssf/events</c> accepts (see docs/containment.md).</summary>
    public List<Signals.TransmitterOptions> Transmitters { get; init; } = [];
}

/// <summary>One entry of <c>Sidecar:Admin:Principals</c>.</summary>
internal sealed record AdminPrincipalOptions
{
    /// <summary>A SPIFFE ID, or a glob: <c>*</c> matches within one path segment, a <c>**</c> segment any number of segments.</summary>
    public string? Id { get; init; }

    /// <summary>Any of <c>revoke</c>, <c>approve</c>, <c>read</c>.</summary>
    public List<string> Roles { get; init; } = [];
}

/// <summary>The admin roles.</summary>
internal static class AdminRoles
{
    /// <summary>Create and lift revocations and quarantines (and list them).</summary>
    public const string Revoke = "revoke";

    /// <summary>Reserved for human approvals (no endpoint yet).</summary>
    public const string Approve = "approve";

    /// <summary>List revocations.</summary>
    public const string Read = "read";

    public static readonly IReadOnlyList<string> All = [Revoke, Approve, Read];
}
