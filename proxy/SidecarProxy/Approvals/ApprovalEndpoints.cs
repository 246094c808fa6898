using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Approvals;

/// <summary>
/// The deciding API, on the admin listener only:
/// <code>
/// GET  /admin/approvals?state=pending|decided   role read, approve or approve:&lt;group&gt;
/// GET  /admin/approvals/{id}                    role read, approve or approve:&lt;group&gt;   404 unknown id
/// POST /admin/approvals/{id}/approve            role approve or approve:&lt;group&gt;         404, 409 decided, 410 expired
/// POST /admin/approvals/{id}/deny               same
/// </code>
/// Deciding body (optional): <c>{"comment": "...", "on_behalf_of": "person"}</c>. An approver qualifies for an
/// approval when it holds <c>approve</c> (no <c>approver_roles</c>) or <c>approve:&lt;group&gt;</c> for a group the
/// approval names; otherwise 403 <c>admin_forbidden</c>. Nobody approves a request of their own: the agent's SPIFFE
/// ID, or the task's requester (<c>Sidecar:Approvals:RequesterClaim</c>), as caller or as stated
/// <c>on_behalf_of</c>, is 403 <c>self_approval</c>.
/// </summary>
internal static class ApprovalEndpoints
{
    public const string Path = "/admin/approvals";
    public const int MaxCommentLength = 1024;
    private const long MaxBodyBytes = 16 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapApprovalEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Path, (RequestDelegate)ListAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(Path + "/{id}", (RequestDelegate)GetAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapPost(Path + "/{id}/approve", (RequestDelegate)(c => DecideAsync(c, approve: true))).RequireListener(ListenerKind.Admin);
        endpoints.MapPost(Path + "/{id}/deny", (RequestDelegate)(c => DecideAsync(c, approve: false))).RequireListener(ListenerKind.Admin);
        return endpoints;
    }

    private static async Task ListAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context, reading: true) is null)
        {
            return;
        }

        var state = context.Request.Query["state"].ToString();
        if (state is not ("" or "pending" or "decided"))
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", "state must be pending or decided", null);
            return;
        }

        var store = context.RequestServices.GetRequiredService<IApprovalStore>();
        var records = await store.ListAsync(pending: state != "decided", context.RequestAborted);
        await WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("approvals");
            foreach (var record in records)
            {
                WriteRecord(json, record, full: false);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task GetAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context, reading: true) is null)
        {
            return;
        }

        var id = context.Request.RouteValues["id"] as string ?? string.Empty;
        var record = InMemoryApprovalStore.IsWellFormedId(id)
            ? await context.RequestServices.GetRequiredService<IApprovalStore>().GetAsync(id, context.RequestAborted)
            : null;
        if (record is null)
        {
            await NotFoundAsync(context);
            return;
        }

        await WriteJsonAsync(context, 200, json => WriteRecord(json, record, full: true));
    }

    private static async Task DecideAsync(HttpContext context, bool approve)
    {
        if (await AuthorizeAsync(context, reading: false) is not { } caller)
        {
            return;
        }

        var (ok, comment, onBehalfOf, error) = await ReadDecisionAsync(context);
        if (!ok)
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", error!, [error!]);
            return;
        }

        var services = context.RequestServices;
        var store = services.GetRequiredService<IApprovalStore>();
        var id = context.Request.RouteValues["id"] as string ?? string.Empty;
        var record = InMemoryApprovalStore.IsWellFormedId(id) ? await store.GetAsync(id, context.RequestAborted) : null;
        if (record is null)
        {
            await NotFoundAsync(context);
            return;
        }

        if (await RefuseStateAsync(context, record.State))
        {
            return;
        }

        var audit = services.GetRequiredService<AdminAudit>();
        var roles = services.GetRequiredService<AdminAuthorizer>().RolesOf(caller);
        if (!Qualifies(roles, record.Terms.ApproverRoles))
        {
            audit.Refused(context, caller.ToString(), DenialCode.AdminForbidden.Value, 403);
            var needed = record.Terms.ApproverRoles.Count == 0
                ? AdminRoles.Approve
                : string.Join(" or ", record.Terms.ApproverRoles.Select(r => AdminRoles.ApprovePrefix + r));
            await ProblemWriter.WriteAsync(context, DenialCode.AdminForbidden, $"{caller} does not hold the role {needed} this approval requires");
            return;
        }

        if (approve && IsOwnRequest(record, caller.ToString(), onBehalfOf))
        {
            audit.Refused(context, caller.ToString(), "self_approval", 403);
            await AdminProblem.WriteAsync(context, 403, "self_approval", "Self-approval refused",
                "an approver may not approve a request of their own (the agent, or the person who requested its task)", null);
            return;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var result = await store.VoteAsync(id, new ApprovalVote(caller.ToString(), onBehalfOf, approve, comment, now), context.RequestAborted);
        switch (result.Status)
        {
            case ApprovalVoteStatus.Recorded:
                await WriteJsonAsync(context, 200, json => WriteRecord(json, result.Record!, full: true));
                return;
            case ApprovalVoteStatus.AlreadyVoted:
                await AdminProblem.WriteAsync(context, 409, "already_voted", "Already voted",
                    "you have already approved this request; another approver is needed", null);
                return;
            case ApprovalVoteStatus.NotFound:
                await NotFoundAsync(context);
                return;
            default:
                await RefuseStateAsync(context, result.Record!.State);
                return;
        }
    }

    // 410 for an expired approval, 409 for any other decided one; false when it is pending.
    private static async Task<bool> RefuseStateAsync(HttpContext context, string state)
    {
        if (state == ApprovalStates.Expired)
        {
            await AdminProblem.WriteAsync(context, 410, "expired", "Approval expired", "this approval has expired", null);
            return true;
        }

        if (state != ApprovalStates.Pending)
        {
            await AdminProblem.WriteAsync(context, 409, "already_decided", "Already decided", $"this approval is {state}", null);
            return true;
        }

        return false;
    }

    private static Task NotFoundAsync(HttpContext context) =>
        AdminProblem.WriteAsync(context, 404, "not_found", "Unknown approval", "no approval has this id", null);

    /// <summary>Whether roles qualify for an approval naming <paramref name="groups"/> (none: the role approve).</summary>
    internal static bool Qualifies(IReadOnlySet<string> roles, IReadOnlyList<string> groups) =>
        groups.Count == 0 ? roles.Contains(AdminRoles.Approve) : groups.Any(g => roles.Contains(AdminRoles.ApprovePrefix + g));

    /// <summary>The caller, or the person it says it acts for, is the agent or the task's requester.</summary>
    internal static bool IsOwnRequest(ApprovalRecord record, string caller, string? onBehalfOf)
    {
        var agent = record.Context.SpiffeId;
        var requester = record.Context.RequestedBy;
        bool Same(string? a, string? b) => !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b)
            && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
        return Same(caller, agent) || Same(caller, requester) || Same(onBehalfOf, agent) || Same(onBehalfOf, requester);
    }

    private static async Task<(bool Ok, string? Comment, string? OnBehalfOf, string? Error)> ReadDecisionAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException)
        {
            return (false, null, null, $"the body must be at most {MaxBodyBytes} bytes");
        }

        if (buffer.Length == 0)
        {
            return (true, null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (false, null, null, "the body must be a JSON object");
            }

            string? comment = null, onBehalfOf = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "comment" when property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                        comment = property.Value.GetString();
                        break;
                    case "on_behalf_of" when property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                        onBehalfOf = property.Value.GetString();
                        break;
                    case "comment" or "on_behalf_of":
                        return (false, null, null, $"{property.Name} must be a string");
                    default:
                        return (false, null, null, $"unknown member '{property.Name}' (allowed: comment, on_behalf_of)");
                }
            }

            foreach (var (name, value) in new[] { ("comment", comment), ("on_behalf_of", onBehalfOf) })
            {
                if (value is not null && (value.Length > MaxCommentLength || value.Any(char.IsControl)))
                {
                    return (false, null, null, $"{name} must be at most {MaxCommentLength} characters without control characters");
                }
            }

            return (true, string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), string.IsNullOrWhiteSpace(onBehalfOf) ? null : onBehalfOf.Trim(), null);
        }
        catch (JsonException)
        {
            return (false, null, null, "the body is not valid JSON");
        }
    }

    /// <summary>The caller when it may use the approvals API (reading: read or any approver role; deciding: any approver role).</summary>
    private static Task<SpiffeId?> AuthorizeAsync(HttpContext context, bool reading) =>
        AdminEndpoints.AuthorizeAsync(
            context,
            id => context.RequestServices.GetRequiredService<AdminAuthorizer>().RolesOf(id)
                .Any(r => AdminRoles.IsApprover(r) || (reading && r == AdminRoles.Read)),
            (reading ? "read or " : string.Empty) + "approve");

    private static void WriteRecord(Utf8JsonWriter json, ApprovalRecord record, bool full)
    {
        var c = record.Context;
        json.WriteStartObject();
        json.WriteString("id", record.Id);
        json.WriteString("state", record.State);
        json.WriteString("agent", c.SpiffeId);
        json.WriteString("tool", c.Tool);
        json.WriteString("method", c.Method);
        json.WriteString("path", c.Path);
        json.WriteString("query", c.Query);
        json.WriteString("created_at", PolicyInputBuilder.Rfc3339(record.CreatedAt));
        json.WriteString("expires_at", PolicyInputBuilder.Rfc3339(record.ExpiresAt));
        WriteOptionalTime(json, "decided_at", record.DecidedAt);
        WriteOptionalTime(json, "ended_at", record.EndedAt);
        ApprovalJson.WriteTermsAndApprovers(json, record);
        json.WriteStartArray("votes");
        foreach (var vote in record.Votes)
        {
            json.WriteStartObject();
            json.WriteString("by", vote.Approver);
            if (vote.ApproverName is not null)
            {
                json.WriteString("by_name", vote.ApproverName);
            }

            WriteOptionalString(json, "on_behalf_of", vote.OnBehalfOf);
            json.WriteString("vote", vote.Approve ? "approve" : "deny");
            WriteOptionalString(json, "comment", vote.Comment);
            json.WriteString("at", PolicyInputBuilder.Rfc3339(vote.At));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (c.TaskId is null)
        {
            json.WriteNull("task");
        }
        else
        {
            json.WriteStartObject("task");
            json.WriteString("id", c.TaskId);
            WriteOptionalString(json, "issuer", c.TaskIssuer);
            WriteOptionalString(json, "requested_by", c.RequestedBy);
            if (full)
            {
                json.WriteStartObject("claims");
                foreach (var (name, value) in c.TaskClaims)
                {
                    json.WritePropertyName(name);
                    value.WriteTo(json);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteStartObject("policy");
        WriteOptionalString(json, "reason", c.Reason);
        WriteOptionalString(json, "decision_id", c.DecisionId);
        WriteOptionalString(json, "revision", c.PolicyRevision);
        json.WriteEndObject();
        if (full)
        {
            json.WriteStartObject("headers");
            foreach (var (name, value) in c.Headers)
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
            json.WriteStartObject("body");
            WriteOptionalString(json, "content_type", c.ContentType);
            json.WriteNumber("bytes", c.BodyBytes);
            json.WriteString("sha256", c.BodySha256);
            json.WriteString("preview_kind", c.BodyPreview.Kind);
            WriteOptionalString(json, "preview", c.BodyPreview.Text);
            json.WriteBoolean("preview_truncated", c.BodyPreview.Truncated);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteOptionalString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteOptionalTime(Utf8JsonWriter json, string name, DateTimeOffset? value) =>
        WriteOptionalString(json, name, value is { } v ? PolicyInputBuilder.Rfc3339(v) : null);

    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(json);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
