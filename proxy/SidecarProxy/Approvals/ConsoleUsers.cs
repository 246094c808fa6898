using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;
using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>
/// Who a console request is from. The connection's client certificate comes first: an admin SPIFFE ID is signed in
/// by it on every request, whatever cookie the browser also sends (a certificate cannot be logged out of). Otherwise,
/// with <c>Sidecar:Approvals:Oidc</c>, the person of the session cookie. Nothing else counts: no header names a user.
/// </summary>
internal static class ConsoleUsers
{
    /// <summary>The request's console user, also set as <see cref="HttpContext.User"/> (antiforgery binds its tokens to it); null: nobody.</summary>
    public static async Task<ConsoleUser?> FindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (FromClientCertificate(context) is { } admin)
        {
            context.User = admin.ToPrincipal();
            return admin;
        }

        if (!OidcEnabled(context))
        {
            return null;
        }

        var result = await context.AuthenticateAsync(ConsoleAuthentication.CookieScheme);
        if (!result.Succeeded || ConsolePerson.FromPrincipal(result.Principal) is not { } person)
        {
            return null;
        }

        context.User = result.Principal!;
        return person;
    }

    /// <summary>Whether people log in (<c>Sidecar:Approvals:Oidc</c> is configured); without it only admin SPIFFE IDs use the console.</summary>
    public static bool OidcEnabled(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<OidcOptions>>().Value.Enabled;

    /// <summary>
    /// The admin SPIFFE ID of the connection's X.509-SVID, verified at the TLS handshake against the trust bundles
    /// (<c>AgentTlsHandshake</c>); null without a valid, unexpired SVID or when it matches no
    /// <c>Sidecar:Admin:Principals</c> entry (an agent's SVID, say: it gets no more than a browser without one).
    /// </summary>
    internal static ConsoleSpiffeAdmin? FromClientCertificate(HttpContext context)
    {
        if (context.FindPeerIdentity() is not { } identity)
        {
            return null;
        }

        var services = context.RequestServices;

        // The JSON API refuses an SVID that expired while its connection stayed open; so does the console.
        if (services.GetRequiredService<TimeProvider>().GetUtcNow() > identity.NotAfter)
        {
            return null;
        }

        // Every principal entry names at least one role (AdminOptionsValidator), so no role means no entry matched.
        var roles = services.GetRequiredService<AdminAuthorizer>().RolesOf(identity.SpiffeId);
        return roles.Count == 0 ? null : new ConsoleSpiffeAdmin(identity.SpiffeId, roles);
    }
}
