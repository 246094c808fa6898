using System.Security.Claims;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Approvals;

/// <summary>
/// An admin SPIFFE ID (a <c>Sidecar:Admin:Principals</c> entry) using the console with its X.509-SVID as the client
/// certificate, verified at the TLS handshake like every admin caller. It is what the JSON API knows it as: the
/// SPIFFE ID is the approver votes and audit lines record, its roles are <c>AdminAuthorizer.RolesOf</c>, and it never
/// approves a request whose agent or task requester it is.
/// </summary>
internal sealed record ConsoleSpiffeAdmin(SpiffeId SpiffeId, IReadOnlySet<string> Roles) : ConsoleUser
{
    /// <summary>
    /// The claim naming the SPIFFE ID in the request's principal; a type of its own, so that antiforgery (which binds
    /// a token to the claims of its user) never takes a person's token for an admin's or the other way round.
    /// </summary>
    public const string SpiffeIdClaim = "sidecar_spiffe_id";

    /// <summary>The authentication type of the request's principal.</summary>
    public const string AuthenticationType = "SidecarConsoleClientCertificate";

    public override string Id => SpiffeId.ToString();

    public override string DisplayName => Id;

    public override string? VoteName => null;

    public override bool ByClientCertificate => true;

    // The JSON API's rule, for a caller without on_behalf_of.
    public override bool IsOwnRequest(ApprovalRecord record) => ApprovalEndpoints.IsOwnRequest(record, Id, null);

    /// <summary>
    /// The request's user for ASP.NET Core: antiforgery binds the tokens it issues to this principal's claims, so a
    /// token issued to one SPIFFE ID is refused for another.
    /// </summary>
    public ClaimsPrincipal ToPrincipal() =>
        new(new ClaimsIdentity([new Claim(SpiffeIdClaim, Id)], AuthenticationType, SpiffeIdClaim, null));
}
