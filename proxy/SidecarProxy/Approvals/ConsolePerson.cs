using System.Security.Claims;
using SidecarProxy.Admin;

namespace SidecarProxy.Approvals;

/// <summary>
/// A person logged in to the approval console through OpenID Connect. <see cref="Id"/>, the issuer and the subject
/// (<c>iss#sub</c>, unique per OpenID Connect), is what approvals and audit lines record as the approver;
/// <see cref="DisplayName"/> is shown beside it. The session cookie carries only the claims named here.
/// </summary>
internal sealed record ConsolePerson(string Issuer, string Subject, string? Name, string? Email, string? Username, IReadOnlySet<string> Roles)
    : ConsoleUser
{
    /// <summary>The id_token's issuer claim.</summary>
    public const string IssuerClaim = "iss";

    /// <summary>
    /// The issuer inside the console session: not <c>iss</c>, which the OpenID Connect handler's claim actions remove
    /// from the principal it signs in.
    /// </summary>
    public const string SessionIssuerClaim = "sidecar_issuer";
    public const string SubjectClaim = "sub";
    public const string NameClaim = "name";
    public const string EmailClaim = "email";
    public const string UsernameClaim = "preferred_username";

    /// <summary>The claim type of roles inside the console session (whatever <c>RolesClaim</c> the issuer uses).</summary>
    public const string RoleClaim = "sidecar_role";

    /// <summary>The approver as approvals and audit lines record it.</summary>
    public override string Id => Issuer + "#" + Subject;

    /// <summary>A name for people to read: name and e-mail when known.</summary>
    public override string DisplayName =>
        (Name ?? Username, Email) switch
        {
            (null, null) => Subject,
            ({ } n, null) => n,
            (null, { } e) => e,
            ({ } n, { } e) => $"{n} <{e}>",
        };

    /// <summary>Votes record the person's name and e-mail beside <see cref="Id"/>.</summary>
    public override string? VoteName => DisplayName;

    public override bool ByClientCertificate => false;

    /// <summary>
    /// Whether the approval is for a request of this person's own: their subject, e-mail or user name (or
    /// <see cref="Id"/>) is the agent or the task's requester, as <see cref="ApprovalEndpoints.IsOwnRequest"/> compares them.
    /// </summary>
    public override bool IsOwnRequest(ApprovalRecord record) =>
        ApprovalEndpoints.IsOwnRequest(record, Id, Subject)
        || ApprovalEndpoints.IsOwnRequest(record, Email ?? string.Empty, Username);

    /// <summary>The session principal: only what the console needs, so the cookie stays small and carries no token.</summary>
    public ClaimsPrincipal ToPrincipal(string authenticationType)
    {
        var claims = new List<Claim> { new(SessionIssuerClaim, Issuer), new(SubjectClaim, Subject) };
        AddIf(claims, NameClaim, Name);
        AddIf(claims, EmailClaim, Email);
        AddIf(claims, UsernameClaim, Username);
        claims.AddRange(Roles.Order(StringComparer.Ordinal).Select(r => new Claim(RoleClaim, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, NameClaim, RoleClaim));
    }

    /// <summary>The person a session principal (made by <see cref="ToPrincipal"/>) stands for; null without issuer or subject.</summary>
    public static ConsolePerson? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.FindFirst(SessionIssuerClaim)?.Value is not { Length: > 0 } issuer
            || principal.FindFirst(SubjectClaim)?.Value is not { Length: > 0 } subject)
        {
            return null;
        }

        return new ConsolePerson(
            issuer,
            subject,
            principal.FindFirst(NameClaim)?.Value,
            principal.FindFirst(EmailClaim)?.Value,
            principal.FindFirst(UsernameClaim)?.Value,
            principal.FindAll(RoleClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// The person an id_token's validated claims describe: roles from <paramref name="rolesClaim"/> (one claim per
    /// value, or space-separated values in one), keeping only valid sidecar roles. Null without a subject.
    /// </summary>
    public static ConsolePerson? FromIdToken(ClaimsPrincipal principal, string issuer, string rolesClaim)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(SubjectClaim)?.Value is not { Length: > 0 } subject)
        {
            return null;
        }

        var roles = principal.FindAll(rolesClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(AdminRoles.IsValid)
            .ToHashSet(StringComparer.Ordinal);
        return new ConsolePerson(
            issuer,
            subject,
            Bounded(principal.FindFirst(NameClaim)?.Value),
            Bounded(principal.FindFirst(EmailClaim)?.Value),
            Bounded(principal.FindFirst(UsernameClaim)?.Value),
            roles);
    }

    // Display claims are the issuer's to choose; keep them short and on one line.
    private static string? Bounded(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : new string([.. value.Trim().Take(200).Select(c => char.IsControl(c) ? ' ' : c)]);

    private static void AddIf(List<Claim> claims, string type, string? value)
    {
        if (value is not null)
        {
            claims.Add(new Claim(type, value));
        }
    }
}
