using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Policy;

namespace SidecarProxy.Approvals;

/// <summary>
/// The console's HTML: server-rendered pages that work without script, one stylesheet and one small script from
/// the sidecar (<see cref="ConsoleScript"/>, which only keeps an open page up to date), forms that post back to it.
/// Every value from a request, a token or a policy is HTML-encoded. Every page is sent with a strict
/// Content-Security-Policy, <c>X-Frame-Options: DENY</c> and <c>Cache-Control: no-store</c>.
/// </summary>
internal static class ConsolePages
{
    public const string StylePath = "/console/style.css";

    /// <summary>Only the sidecar's own script (no inline script), fetches only back here, no frame, nothing from elsewhere; forms post only back here.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>How often the list page reloads itself when the browser runs no script (a meta refresh inside noscript).</summary>
    public const int ListRefreshSeconds = 15;

    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>A page that says one thing (errors, refusals, "signed out").</summary>
    public static Task WriteMessageAsync(HttpContext context, int status, string title, string message, bool linkHome)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = new StringBuilder();
        body.Append("<p class=\"message\" role=\"alert\">").Append(E(message)).Append("</p>");
        if (linkHome)
        {
            body.Append("<p><a href=\"/\">Back to the approvals</a></p>");
        }

        return WriteAsync(context, status, title, null, null, body.ToString());
    }

    /// <summary>
    /// The page the login ends on: it moves on to <paramref name="target"/> with a meta refresh rather than a
    /// redirect, because the login's redirect chain started at the identity provider (another site), and a
    /// browser does not send a SameSite=Strict cookie on such a chain; a navigation this page starts is same-site.
    /// </summary>
    public static Task WriteContinueAsync(HttpContext context, string target)
    {
        ArgumentNullException.ThrowIfNull(context);
        var head = $"<meta http-equiv=\"refresh\" content=\"0; url={E(target)}\">";
        var body = $"<p>You are logged in. <a href=\"{E(target)}\">Continue to the approvals</a>.</p>";
        return WriteAsync(context, 200, "Logged in", head, null, body);
    }

    public static Task WriteListAsync(
        HttpContext context, ConsoleUser user, string csrf, IReadOnlyList<ApprovalRecord> pending, IReadOnlyList<ApprovalRecord> decided)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(decided);
        var b = new StringBuilder();

        // The tables are always there (hidden when empty) so that the script can fill them in place.
        b.Append("<section aria-labelledby=\"pending\"><h2 id=\"pending\">Pending (").Append(pending.Count).Append(")</h2>");
        b.Append("<p id=\"pending-empty\"").Append(pending.Count == 0 ? string.Empty : " hidden").Append(">Nothing is waiting for a decision.</p>");
        b.Append("<table id=\"pending-table\"").Append(pending.Count == 0 ? " hidden" : string.Empty).Append("><thead><tr><th scope=\"col\">Approval</th><th scope=\"col\">Agent</th><th scope=\"col\">Request</th>")
            .Append("<th scope=\"col\">Task</th><th scope=\"col\">Requested by</th><th scope=\"col\">Approvals</th>")
            .Append("<th scope=\"col\">Expires</th></tr></thead><tbody id=\"pending-rows\">");
        foreach (var r in pending)
        {
            b.Append("<tr><td><a href=\"/approvals/").Append(E(r.Id)).Append("\">").Append(E(r.Id)).Append("</a></td>")
                .Append("<td>").Append(E(r.Context.SpiffeId)).Append("</td>")
                .Append("<td><code>").Append(E(r.Context.Method)).Append(' ').Append(E(r.Context.Tool)).Append(' ')
                .Append(E(Target(r.Context))).Append("</code></td>")
                .Append("<td>").Append(E(r.Context.TaskId ?? "-")).Append("</td>")
                .Append("<td>").Append(E(r.Context.RequestedBy ?? "-")).Append("</td>")
                .Append("<td>").Append(r.ApprovedBy.Count).Append(" of ").Append(r.Terms.MinApprovals).Append("</td>")
                .Append("<td>").Append(Time(r.ExpiresAt)).Append("</td></tr>");
        }

        b.Append("</tbody></table>");

        b.Append("</section><section aria-labelledby=\"decided\"><h2 id=\"decided\">Recently decided</h2>");
        b.Append("<p id=\"decided-empty\"").Append(decided.Count == 0 ? string.Empty : " hidden").Append(">No approval has been decided recently.</p>");
        b.Append("<table id=\"decided-table\"").Append(decided.Count == 0 ? " hidden" : string.Empty).Append("><thead><tr><th scope=\"col\">Approval</th><th scope=\"col\">State</th><th scope=\"col\">Agent</th>")
            .Append("<th scope=\"col\">Request</th><th scope=\"col\">Decided by</th><th scope=\"col\">When</th></tr></thead><tbody id=\"decided-rows\">");
        foreach (var r in NewestFirst(decided))
        {
            b.Append("<tr><td><a href=\"/approvals/").Append(E(r.Id)).Append("\">").Append(E(r.Id)).Append("</a></td>")
                .Append("<td><span class=\"state state-").Append(E(r.State)).Append("\">").Append(E(r.State)).Append("</span></td>")
                .Append("<td>").Append(E(r.Context.SpiffeId)).Append("</td>")
                .Append("<td><code>").Append(E(r.Context.Method)).Append(' ').Append(E(r.Context.Tool)).Append(' ')
                .Append(E(r.Context.Path)).Append("</code></td>")
                .Append("<td>").Append(E(string.Join(", ", r.Votes.Select(Voter)))).Append("</td>")
                .Append("<td>").Append(Time(r.DecidedAt ?? r.EndedAt)).Append("</td></tr>");
        }

        b.Append("</tbody></table>");

        b.Append("</section><p class=\"hint\" id=\"live-hint\">This page reloads every ").Append(ListRefreshSeconds).Append(" seconds.</p>");

        // Without script the page reloads itself; with script (which runs in place of noscript) it is updated in place.
        var head = $"<noscript><meta http-equiv=\"refresh\" content=\"{ListRefreshSeconds.ToString(CultureInfo.InvariantCulture)}\"></noscript>";
        return WriteAsync(context, 200, "Approvals", head, (user, csrf), b.ToString(), "data-live=\"list\"");
    }

    public static Task WriteDetailAsync(HttpContext context, ConsoleUser user, string csrf, ApprovalRecord record, string? notice)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(record);
        var c = record.Context;
        var b = new StringBuilder();
        b.Append("<p><a href=\"/\">All approvals</a></p>");
        if (notice is not null)
        {
            b.Append("<p class=\"message\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        b.Append("<section aria-labelledby=\"request\"><h2 id=\"request\">Request</h2><dl>");
        Row(b, "State", $"<span class=\"state state-{E(record.State)}\" id=\"approval-state\">{E(record.State)}</span>");
        RowText(b, "Agent", c.SpiffeId);
        RowText(b, "Tool", c.Tool);
        Row(b, "Request", $"<code id=\"approval-request\">{E(c.Method)} {E(Target(c))}</code>");
        RowText(b, "Created", Rfc(record.CreatedAt));
        RowText(b, "Expires", Rfc(record.ExpiresAt));
        RowText(b, "Mode", record.Terms.Mode);
        Row(b, "Approvals", $"<span id=\"approval-count\">{record.ApprovedBy.Count} of {record.Terms.MinApprovals}</span>");
        RowText(b, "Approver roles", record.Terms.ApproverRoles.Count == 0 ? "approve" : string.Join(", ", record.Terms.ApproverRoles.Select(r => "approve:" + r)));
        b.Append("</dl></section>");

        b.Append("<section aria-labelledby=\"task\"><h2 id=\"task\">Task</h2>");
        if (c.TaskId is null)
        {
            b.Append("<p>The request carried no task grant.</p>");
        }
        else
        {
            b.Append("<dl>");
            RowText(b, "Task id", c.TaskId);
            RowText(b, "Issuer", c.TaskIssuer ?? "-");
            RowText(b, "Requested by", c.RequestedBy ?? "-");
            b.Append("</dl>");
            if (c.TaskClaims.Count > 0)
            {
                b.Append("<table><caption>Claims</caption><thead><tr><th scope=\"col\">Claim</th><th scope=\"col\">Value</th></tr></thead><tbody>");
                foreach (var (name, value) in c.TaskClaims)
                {
                    b.Append("<tr><th scope=\"row\">").Append(E(name)).Append("</th><td><code>").Append(E(value.GetRawText())).Append("</code></td></tr>");
                }

                b.Append("</tbody></table>");
            }
        }

        b.Append("</section><section aria-labelledby=\"policy\"><h2 id=\"policy\">Policy</h2><dl>");
        RowText(b, "Reason", c.Reason ?? "-");
        RowText(b, "Decision id", c.DecisionId ?? "-");
        RowText(b, "Policy revision", c.PolicyRevision ?? "-");
        b.Append("</dl></section>");

        b.Append("<section aria-labelledby=\"headers\"><h2 id=\"headers\">Headers</h2>");
        b.Append("<p class=\"hint\">Credentials (Authorization, cookies, task grants, ...) are stripped and never shown.</p>");
        if (c.Headers.Count > 0)
        {
            b.Append("<table><thead><tr><th scope=\"col\">Header</th><th scope=\"col\">Value</th></tr></thead><tbody>");
            foreach (var (name, value) in c.Headers)
            {
                b.Append("<tr><th scope=\"row\">").Append(E(name)).Append("</th><td><code>").Append(E(value)).Append("</code></td></tr>");
            }

            b.Append("</tbody></table>");
        }

        b.Append("</section><section aria-labelledby=\"body\"><h2 id=\"body\">Body</h2><dl>");
        RowText(b, "Content type", c.ContentType ?? "-");
        RowText(b, "Size", c.BodyBytes.ToString(CultureInfo.InvariantCulture) + " bytes");
        RowText(b, "SHA-256", c.BodySha256);
        RowText(b, "Preview", c.BodyPreview.Kind + (c.BodyPreview.Truncated ? " (truncated)" : string.Empty));
        b.Append("</dl>");
        if (c.BodyPreview.Text is { } preview)
        {
            b.Append("<pre id=\"approval-body\">").Append(E(preview)).Append("</pre>");
        }

        b.Append("</section><section aria-labelledby=\"votes\"><h2 id=\"votes\">Decisions so far</h2>");
        b.Append("<p id=\"votes-empty\"").Append(record.Votes.Count == 0 ? string.Empty : " hidden").Append(">Nobody has decided yet.</p>");
        b.Append("<table id=\"votes-table\"").Append(record.Votes.Count == 0 ? " hidden" : string.Empty)
            .Append("><thead><tr><th scope=\"col\">Who</th><th scope=\"col\">Decision</th><th scope=\"col\">Comment</th><th scope=\"col\">When</th></tr></thead><tbody id=\"votes-rows\">");
        foreach (var vote in record.Votes)
        {
            b.Append("<tr><td>").Append(E(Voter(vote))).Append("</td><td>").Append(vote.Approve ? "approve" : "deny")
                .Append("</td><td>").Append(E(vote.Comment ?? "-")).Append("</td><td>").Append(Time(vote.At)).Append("</td></tr>");
        }

        b.Append("</tbody></table>");

        b.Append("</section>");
        if (record.State == ApprovalStates.Pending && user.MayDecide)
        {
            var id = E(record.Id);
            b.Append("<section aria-labelledby=\"decide\"><h2 id=\"decide\">Decide</h2>")
                .Append("<p id=\"decide-outcome\" class=\"message\" hidden></p>")
                .Append("<form id=\"decide-form\" method=\"post\" action=\"/approvals/").Append(id).Append("/approve\">")
                .Append("<input type=\"hidden\" name=\"").Append(ConsoleAuthentication.AntiforgeryField).Append("\" value=\"").Append(E(csrf)).Append("\">")
                .Append("<p><label for=\"comment\">Comment (optional)</label><br>")
                .Append("<textarea id=\"comment\" name=\"comment\" rows=\"3\" cols=\"60\" maxlength=\"")
                .Append(ApprovalEndpoints.MaxCommentLength).Append("\"></textarea></p>")
                .Append("<p><button type=\"submit\" id=\"approve\" class=\"approve\">Approve</button> ")
                .Append("<button type=\"submit\" id=\"deny\" class=\"deny\" formaction=\"/approvals/").Append(id).Append("/deny\">Deny</button></p>")
                .Append("<p class=\"hint\">You decide as ").Append(E(user.DisplayName)).Append(". Any denial denies the request.</p>")
                .Append("</form></section>");
        }

        return WriteAsync(context, 200, "Approval " + record.Id, null, (user, csrf), b.ToString(), $"data-live=\"approval\" data-approval-id=\"{E(record.Id)}\"");
    }

    public static string Css => """
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1b1b1b; background: #fff; line-height: 1.4; }
        header { display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #ccc; margin-bottom: 1rem; }
        header form { display: inline; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
        th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
        caption { text-align: left; font-weight: bold; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
        dt { font-weight: bold; }
        dd { margin: 0; overflow-wrap: anywhere; }
        pre { background: #f4f4f4; padding: 0.5rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
        code { overflow-wrap: anywhere; }
        .hint { color: #555; font-size: 0.9rem; }
        .message { border: 2px solid #0b5394; padding: 0.5rem; }
        .state { font-weight: bold; }
        .state-approved, .state-used { color: #1d6b2a; }
        .state-denied, .state-expired, .state-cancelled, .state-withdrawn { color: #a00; }
        button { font-size: 1rem; padding: 0.4rem 1rem; margin-right: 0.5rem; }
        button.approve { background: #1d6b2a; color: #fff; border: 0; }
        button.deny { background: #a00; color: #fff; border: 0; }
        a:focus, button:focus, textarea:focus { outline: 3px solid #f90; outline-offset: 2px; }
        button:disabled { opacity: 0.5; cursor: not-allowed; }
        .live { min-height: 1.4em; }
        [hidden] { display: none; }
        """;

    private static async Task WriteAsync(
        HttpContext context, int status, string title, string? head, (ConsoleUser User, string Csrf)? session, string body, string? live = null)
    {
        var page = new StringBuilder(4096);
        page.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(E(title)).Append(" - SidecarProxy</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(StylePath).Append("\">")
            .Append(head);
        if (live is not null)
        {
            page.Append("<script src=\"").Append(ConsoleScript.Path).Append("\" defer></script>");
        }

        page.Append("</head><body").Append(live is null ? string.Empty : " " + live).Append("><header><p><strong>SidecarProxy approvals</strong></p>");
        if (session is { User.ByClientCertificate: true } certificate)
        {
            // Nothing to log out of: the browser presents the certificate on every connection.
            page.Append("<div>Signed in by client certificate as <span id=\"person\">").Append(E(certificate.User.DisplayName)).Append("</span></div>");
        }
        else if (session is { } s)
        {
            page.Append("<div>Logged in as <span id=\"person\">").Append(E(s.User.DisplayName)).Append("</span> ")
                .Append("<form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"")
                .Append(ConsoleAuthentication.AntiforgeryField).Append("\" value=\"").Append(E(s.Csrf))
                .Append("\"><button type=\"submit\">Log out</button></form></div>");
        }

        page.Append("</header><main><h1>").Append(E(title)).Append("</h1>");
        if (live is not null)
        {
            // What the script changes is announced here (screen readers read it without moving the focus).
            page.Append("<p id=\"live-status\" class=\"live hint\" role=\"status\" aria-live=\"polite\"></p>");
        }

        page.Append(body).Append("</main></body></html>");
        SetHeaders(context.Response);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(page.ToString());
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>The headers every console response carries.</summary>
    public static void SetHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>Newest first: what was decided a moment ago is what people look for.</summary>
    internal static IEnumerable<ApprovalRecord> NewestFirst(IEnumerable<ApprovalRecord> decided) =>
        decided.OrderByDescending(r => r.EndedAt ?? r.DecidedAt ?? r.CreatedAt);

    internal static string Voter(ApprovalVote vote) =>
        (vote.ApproverName is { } name ? $"{name} ({vote.Approver})" : vote.Approver)
        + (vote.OnBehalfOf is { } behalf ? $" for {behalf}" : string.Empty);

    // The policy input's query may come with or without its '?'.
    internal static string Target(ApprovalContext c) =>
        c.Query.Length == 0 || c.Query.StartsWith('?') ? c.Path + c.Query : c.Path + "?" + c.Query;

    private static void RowText(StringBuilder b, string name, string value) => Row(b, name, E(value));

    private static void Row(StringBuilder b, string name, string html) =>
        b.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(html).Append("</dd>");

    private static string Time(DateTimeOffset? at) => at is { } t ? $"<time datetime=\"{E(Rfc(t))}\">{E(Rfc(t))}</time>" : "-";

    internal static string Rfc(DateTimeOffset at) => PolicyInputBuilder.Rfc3339(at);

    private static string E(string? value) => Html.Encode(value ?? string.Empty);
}
