using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Admin;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Revocation;

namespace SidecarProxy.Approvals;

/// <summary>
/// What the console's script (<see cref="ConsoleScript"/>) reads to keep an open page up to date, for the pages'
/// users only (<see cref="ConsoleUsers"/>: an admin SPIFFE ID's client certificate, or a person's session cookie):
/// <code>
/// GET /console/console.js               the script (public: it holds no data)
/// GET /console/live/approvals           the list page's data: pending and recently decided    role read or approver
/// GET /console/live/approvals/{id}      one approval's state and decisions                    same; 404 unknown id
/// </code>
/// They carry only what the pages show, and less (no headers, body preview, task claims). Without a session the
/// answer is 401 (a script cannot follow a login redirect; it reloads the page, which starts the login or says how
/// to sign in).
/// </summary>
internal static class ConsoleLiveEndpoints
{
    public const string LivePath = "/console/live/approvals";

    public static IEndpointRouteBuilder MapApprovalConsoleLive(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(ConsoleScript.Path, (RequestDelegate)ScriptAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(LivePath, (RequestDelegate)ListAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(LivePath + "/{id}", (RequestDelegate)OneAsync).RequireListener(ListenerKind.Admin);
        return endpoints;
    }

    private static async Task ListAsync(HttpContext context)
    {
        if (!await MayReadAsync(context))
        {
            return;
        }

        var store = context.RequestServices.GetRequiredService<IApprovalStore>();
        var pending = await store.ListAsync(pending: true, context.RequestAborted);
        var decided = await store.ListAsync(pending: false, context.RequestAborted);
        ConsolePages.SetHeaders(context.Response);
        await ApprovalEndpoints.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("pending");
            foreach (var r in pending)
            {
                json.WriteStartObject();
                json.WriteString("id", r.Id);
                json.WriteString("agent", r.Context.SpiffeId);
                json.WriteString("request", $"{r.Context.Method} {r.Context.Tool} {ConsolePages.Target(r.Context)}");
                json.WriteString("task", r.Context.TaskId ?? "-");
                json.WriteString("requested_by", r.Context.RequestedBy ?? "-");
                json.WriteString("approvals", $"{r.ApprovedBy.Count} of {r.Terms.MinApprovals}");
                json.WriteString("expires_at", ConsolePages.Rfc(r.ExpiresAt));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("decided");
            foreach (var r in ConsolePages.NewestFirst(decided))
            {
                json.WriteStartObject();
                json.WriteString("id", r.Id);
                json.WriteString("state", r.State);
                json.WriteString("agent", r.Context.SpiffeId);
                json.WriteString("request", $"{r.Context.Method} {r.Context.Tool} {r.Context.Path}");
                json.WriteString("decided_by", string.Join(", ", r.Votes.Select(ConsolePages.Voter)));
                WriteTime(json, "at", r.DecidedAt ?? r.EndedAt);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task OneAsync(HttpContext context)
    {
        if (!await MayReadAsync(context))
        {
            return;
        }

        ConsolePages.SetHeaders(context.Response);
        if (await ConsoleEndpoints.FindAsync(context) is not { } record)
        {
            await AdminProblem.WriteAsync(context, 404, "not_found", "Unknown approval", "no approval has this id", null);
            return;
        }

        await ApprovalEndpoints.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", record.Id);
            json.WriteString("state", record.State);
            json.WriteString("approvals", $"{record.ApprovedBy.Count} of {record.Terms.MinApprovals}");
            json.WriteStartArray("votes");
            foreach (var vote in record.Votes)
            {
                json.WriteStartObject();
                json.WriteString("by", ConsolePages.Voter(vote));
                json.WriteString("decision", vote.Approve ? "approve" : "deny");
                json.WriteString("comment", vote.Comment ?? "-");
                json.WriteString("at", ConsolePages.Rfc(vote.At));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>Whether the request's user may read approvals; otherwise 401 (nobody) or 403 is written.</summary>
    private static async Task<bool> MayReadAsync(HttpContext context)
    {
        ConsolePages.SetHeaders(context.Response);
        if (await ConsoleUsers.FindAsync(context) is not { } user)
        {
            await AdminProblem.WriteAsync(context, 401, "console_session_missing", "Not logged in",
                "this needs a console session or the client certificate of an admin SPIFFE ID", null);
            return false;
        }

        if (!user.MayRead)
        {
            context.RequestServices.GetRequiredService<AdminAudit>().Refused(context, user.Id, DenialCode.AdminForbidden.Value, 403);
            await AdminProblem.WriteAsync(context, 403, DenialCode.AdminForbidden.Value, "Not allowed", "no approver role (nor read)", null);
            return false;
        }

        return true;
    }

    private static async Task ScriptAsync(HttpContext context)
    {
        var bytes = Encoding.UTF8.GetBytes(ConsoleScript.Text);
        ConsolePages.SetHeaders(context.Response);
        context.Response.ContentType = "text/javascript; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? at) =>
        json.WriteString(name, at is { } t ? ConsolePages.Rfc(t) : "-");
}
