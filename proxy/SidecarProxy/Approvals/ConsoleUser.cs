using SidecarProxy.Admin;

namespace SidecarProxy.Approvals;

/// <summary>
/// Someone using the approval console: a person logged in through OpenID Connect (<see cref="ConsolePerson"/>), or an
/// admin SPIFFE ID presenting its X.509-SVID as the client certificate (<see cref="ConsoleSpiffeAdmin"/>). Both hold
/// the same roles (<c>approve</c>, <c>approve:&lt;group&gt;</c>, <c>read</c>) with the same meaning.
/// </summary>
internal abstract record ConsoleUser
{
    /// <summary>The approver as approvals and audit lines record it.</summary>
    public abstract string Id { get; }

    /// <summary>A name for people to read.</summary>
    public abstract string DisplayName { get; }

    /// <summary>The sidecar roles (only valid ones).</summary>
    public abstract IReadOnlySet<string> Roles { get; init; }

    /// <summary>What a vote records beside <see cref="Id"/> for display (null: nothing, as for the JSON API).</summary>
    public abstract string? VoteName { get; }

    /// <summary>
    /// Signed in by the connection's client certificate: there is no session to end, and the certificate, not a
    /// cookie, is what each request is authenticated by.
    /// </summary>
    public abstract bool ByClientCertificate { get; }

    /// <summary>Whether the user may read approvals (any approver role, or read).</summary>
    public bool MayRead => Roles.Any(r => AdminRoles.IsApprover(r) || r == AdminRoles.Read);

    /// <summary>Whether the user may decide some approvals.</summary>
    public bool MayDecide => Roles.Any(AdminRoles.IsApprover);

    /// <summary>Whether the approval is for a request of the user's own (they may not approve it).</summary>
    public abstract bool IsOwnRequest(ApprovalRecord record);
}
