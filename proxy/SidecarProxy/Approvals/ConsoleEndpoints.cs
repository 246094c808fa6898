using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Revocation;

namespace SidecarProxy.Approvals;

/// <summary>
/// The approval console, on the admin listener whenever <c>Sidecar:Admin:Listen</c> is set, for two kinds of users
/// (<see cref="ConsoleUsers"/>): admin SPIFFE IDs presenting their X.509-SVID as the client certificate (no login;
/// roles from <c>Sidecar:Admin:Principals</c>), and, when <c>Sidecar:Approvals:Oidc:Authority</c> is set, people
/// logged in through OpenID Connect (roles from the id_token's <c>RolesClaim</c>). The roles mean the same for both.
/// <code>
/// GET  /                            pending and recently decided approvals       role read or an approver role
/// GET  /approvals/{id}              one approval with its full context           same; 404 unknown id
/// POST /approvals/{id}/approve      form: comment, __csrf                         an approver role for it; 404, 409, 410
/// POST /approvals/{id}/deny         same
/// GET  /console/signin-oidc         the OpenID Connect callback (code + state)    with OIDC only
/// GET  /console/continue?to=/...    the end of a login (see ConsolePages.WriteContinueAsync)   with OIDC only
/// POST /console/logout              ends the session                              with OIDC only
/// GET  /console/style.css
/// GET  /console/console.js, /console/live/...   the live updates of open pages (see ConsoleLiveEndpoints)
/// </code>
/// A GET from nobody starts the login (302 to the issuer), or without OIDC is a 401 page saying how to sign in; a
/// POST from nobody is 401. Every POST needs the antiforgery token of the user's forms (400 without): a client
/// certificate is sent by the browser on its own, like a cookie, so it needs the same protection. Nobody approves a
/// request of their own: an admin SPIFFE ID as in the JSON API (the agent or the task's requester), a person when
/// their subject, e-mail or user name is one of those. A SPIFFE ID voting here and through <c>/admin/approvals</c> is
/// one approver.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string ApprovalsPath = "/approvals";
    public const string ContinuePath = "/console/continue";
    public const string LogoutPath = "/console/logout";
    private const long MaxFormBytes = 16 * 1024;

    /// <summary>How to sign in when people cannot log in (no <c>Sidecar:Approvals:Oidc</c>).</summary>
    internal const string ClientCertificateHint =
        "Open the console with the client certificate (X.509-SVID) of an admin SPIFFE ID, one of Sidecar:Admin:Principals. "
        + "People log in when Sidecar:Approvals:Oidc is configured.";

    public static IEndpointRouteBuilder MapApprovalConsole(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        if (string.IsNullOrEmpty(services.GetRequiredService<IOptions<AdminOptions>>().Value.Listen))
        {
            return endpoints;
        }

        endpoints.MapGet("/", (RequestDelegate)ListAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(ApprovalsPath + "/{id}", (RequestDelegate)DetailAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapPost(ApprovalsPath + "/{id}/approve", (RequestDelegate)(c => DecideAsync(c, approve: true))).RequireListener(ListenerKind.Admin);
        endpoints.MapPost(ApprovalsPath + "/{id}/deny", (RequestDelegate)(c => DecideAsync(c, approve: false))).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(ConsolePages.StylePath, (RequestDelegate)StyleAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapApprovalConsoleLive();
        if (services.GetRequiredService<IOptions<OidcOptions>>().Value.Enabled)
        {
            // The login and the session: only people have them.
            endpoints.MapGet(ConsoleAuthentication.CallbackPath, (RequestDelegate)ConsoleAuthentication.HandleCallbackAsync).RequireListener(ListenerKind.Admin);
            endpoints.MapGet(ContinuePath, (RequestDelegate)ContinueAsync).RequireListener(ListenerKind.Admin);
            endpoints.MapPost(LogoutPath, (RequestDelegate)LogoutAsync).RequireListener(ListenerKind.Admin);
        }

        return endpoints;
    }

    private static async Task ListAsync(HttpContext context)
    {
        if (await ReaderAsync(context) is not { } user)
        {
            return;
        }

        var store = context.RequestServices.GetRequiredService<IApprovalStore>();
        var pending = await store.ListAsync(pending: true, context.RequestAborted);
        var decided = await store.ListAsync(pending: false, context.RequestAborted);
        await ConsolePages.WriteListAsync(context, user, Csrf(context), pending, decided);
    }

    private static async Task DetailAsync(HttpContext context)
    {
        if (await ReaderAsync(context) is not { } user)
        {
            return;
        }

        if (await FindAsync(context) is not { } record)
        {
            await ConsolePages.WriteMessageAsync(context, 404, "Unknown approval", "No approval has this id (it may have been forgotten after its retention).", linkHome: true);
            return;
        }

        // Fixed texts only: nothing of the query is echoed into the page.
        var notice = context.Request.Query["done"].ToString() switch
        {
            "approve" => "Your approval was recorded.",
            "deny" => "Your denial was recorded.",
            _ => null,
        };
        await ConsolePages.WriteDetailAsync(context, user, Csrf(context), record, notice);
    }

    private static async Task DecideAsync(HttpContext context, bool approve)
    {
        var services = context.RequestServices;
        var audit = services.GetRequiredService<AdminAudit>();
        if (await ConsoleUsers.FindAsync(context) is not { } user)
        {
            audit.Refused(context, null, "console_session_missing", 401);
            await ConsolePages.WriteMessageAsync(context, 401, "Not logged in",
                ConsoleUsers.OidcEnabled(context)
                    ? "Your console session has ended. Log in again and repeat your decision."
                    : ClientCertificateHint,
                linkHome: true);
            return;
        }

        // Someone who may decide nothing is refused before the form is read (their pages carry no decision form,
        // and an admin SPIFFE ID's pages no token at all: there is no logout form for a client certificate).
        if (!user.MayDecide)
        {
            await ForbiddenAsync(context, user, "You hold no approver role, so you cannot decide approvals.");
            return;
        }

        if (!await ValidCsrfAsync(context))
        {
            audit.Refused(context, user.Id, "csrf_token_invalid", 400);
            await ConsolePages.WriteMessageAsync(context, 400, "Form not accepted",
                "The form's anti-forgery token is missing or invalid, so nothing was decided. Reload the approval and decide again.", linkHome: true);
            return;
        }

        var comment = ReadComment(context.Request.Form["comment"].ToString(), out var commentError);
        if (commentError is not null)
        {
            await ConsolePages.WriteMessageAsync(context, 400, "Form not accepted", commentError, linkHome: true);
            return;
        }

        var store = services.GetRequiredService<IApprovalStore>();
        if (await FindAsync(context) is not { } record)
        {
            await ConsolePages.WriteMessageAsync(context, 404, "Unknown approval", "No approval has this id.", linkHome: true);
            return;
        }

        if (await RefuseStateAsync(context, record.State))
        {
            return;
        }

        if (!ApprovalEndpoints.Qualifies(user.Roles, record.Terms.ApproverRoles))
        {
            var needed = record.Terms.ApproverRoles.Count == 0
                ? AdminRoles.Approve
                : string.Join(" or ", record.Terms.ApproverRoles.Select(r => AdminRoles.ApprovePrefix + r));
            await ForbiddenAsync(context, user, $"This approval needs the role {needed}, which you do not hold.");
            return;
        }

        if (approve && user.IsOwnRequest(record))
        {
            audit.Refused(context, user.Id, "self_approval", 403);
            await ConsolePages.WriteMessageAsync(context, 403, "Self-approval refused",
                "You may not approve a request of your own (you are its agent, or the person who requested its task). Ask another approver.", linkHome: true);
            return;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var vote = new ApprovalVote(user.Id, null, approve, comment, now) { ApproverName = user.VoteName };
        var result = await store.VoteAsync(record.Id, vote, context.RequestAborted);
        switch (result.Status)
        {
            case ApprovalVoteStatus.Recorded:
                // 303: the browser shows the approval with a GET, and a reload does not post the form again.
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = $"{ApprovalsPath}/{record.Id}?done={(approve ? "approve" : "deny")}";
                ConsolePages.SetHeaders(context.Response);
                return;
            case ApprovalVoteStatus.AlreadyVoted:
                await ConsolePages.WriteMessageAsync(context, 409, "Already approved", "You have already approved this request; another approver is needed.", linkHome: true);
                return;
            case ApprovalVoteStatus.NotFound:
                await ConsolePages.WriteMessageAsync(context, 404, "Unknown approval", "No approval has this id.", linkHome: true);
                return;
            default:
                await RefuseStateAsync(context, result.Record!.State);
                return;
        }
    }

    private static Task ContinueAsync(HttpContext context) =>
        ConsolePages.WriteContinueAsync(context, LocalTarget(context.Request.Query["to"].ToString()));

    private static async Task LogoutAsync(HttpContext context)
    {
        var user = await ConsoleUsers.FindAsync(context);
        if (user is not null && !await ValidCsrfAsync(context))
        {
            context.RequestServices.GetRequiredService<AdminAudit>().Refused(context, user.Id, "csrf_token_invalid", 400);
            await ConsolePages.WriteMessageAsync(context, 400, "Form not accepted", "The form's anti-forgery token is missing or invalid.", linkHome: true);
            return;
        }

        await context.SignOutAsync(ConsoleAuthentication.CookieScheme);
        await ConsolePages.WriteMessageAsync(context, 200, "Logged out",
            user is { ByClientCertificate: true }
                ? "Any console session of this browser has ended; your client certificate still signs you in."
                : "You are logged out of the approval console.",
            linkHome: true);
    }

    private static async Task StyleAsync(HttpContext context)
    {
        var bytes = Encoding.UTF8.GetBytes(ConsolePages.Css);
        ConsolePages.SetHeaders(context.Response);
        context.Response.ContentType = "text/css; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>
    /// The user who may read approvals; otherwise the login is started (nobody, with OIDC), the 401 page saying how to
    /// sign in is written (nobody, without OIDC), or 403.
    /// </summary>
    private static async Task<ConsoleUser?> ReaderAsync(HttpContext context)
    {
        if (await ConsoleUsers.FindAsync(context) is not { } user)
        {
            if (!ConsoleUsers.OidcEnabled(context))
            {
                await ConsolePages.WriteMessageAsync(context, 401, "Not signed in", ClientCertificateHint, linkHome: false);
                return null;
            }

            var target = context.Request.Path.Value ?? "/";
            await context.ChallengeAsync(ConsoleAuthentication.OidcScheme, new AuthenticationProperties
            {
                RedirectUri = ContinuePath + "?to=" + Uri.EscapeDataString(LocalTarget(target)),
            });
            return null;
        }

        if (!user.MayRead)
        {
            await ForbiddenAsync(context, user, "You hold no approver role (nor read), so you cannot see approvals.");
            return null;
        }

        return user;
    }

    private static async Task<bool> ValidCsrfAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }

        if (!context.Request.HasFormContentType)
        {
            return false;
        }

        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
            return true;
        }
        catch (Exception ex) when (ex is AntiforgeryValidationException or InvalidDataException or BadHttpRequestException)
        {
            return false;
        }
    }

    private static string Csrf(HttpContext context) =>
        context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context).RequestToken!;

    internal static async Task<ApprovalRecord?> FindAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string ?? string.Empty;
        return InMemoryApprovalStore.IsWellFormedId(id)
            ? await context.RequestServices.GetRequiredService<IApprovalStore>().GetAsync(id, context.RequestAborted)
            : null;
    }

    private static async Task ForbiddenAsync(HttpContext context, ConsoleUser user, string message)
    {
        context.RequestServices.GetRequiredService<AdminAudit>().Refused(context, user.Id, DenialCode.AdminForbidden.Value, 403);
        await ConsolePages.WriteMessageAsync(context, 403, "Not allowed", message, linkHome: false);
    }

    // 410 for an expired approval, 409 for any other decided one; false when it is pending.
    private static async Task<bool> RefuseStateAsync(HttpContext context, string state)
    {
        if (state == ApprovalStates.Expired)
        {
            await ConsolePages.WriteMessageAsync(context, 410, "Approval expired", "This approval has expired; nothing was decided.", linkHome: true);
            return true;
        }

        if (state != ApprovalStates.Pending)
        {
            await ConsolePages.WriteMessageAsync(context, 409, "Already decided", $"This approval is {state} already; nothing was changed.", linkHome: true);
            return true;
        }

        return false;
    }

    /// <summary>The comment of a decision: line breaks become spaces; other control characters and over-long ones are refused.</summary>
    internal static string? ReadComment(string raw, out string? error)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var comment = raw.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ').Trim();
        if (comment.Length > ApprovalEndpoints.MaxCommentLength || comment.Any(char.IsControl))
        {
            error = $"The comment must be at most {ApprovalEndpoints.MaxCommentLength} characters without control characters.";
            return null;
        }

        error = null;
        return comment.Length == 0 ? null : comment;
    }

    /// <summary>A path on this site to go to after login; anything else (another host, a scheme, <c>//</c>) is <c>/</c>.</summary>
    internal static string LocalTarget(string target) =>
        target.StartsWith('/') && !target.StartsWith("//", StringComparison.Ordinal) && !target.StartsWith("/\\", StringComparison.Ordinal)
        && !target.Any(c => char.IsControl(c) || c == '\\')
            ? target
            : "/";
}
