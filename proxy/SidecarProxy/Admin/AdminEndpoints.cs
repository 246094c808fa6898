using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Admin;

/// <summary>
/// The admin API, on the admin listener only (<see cref="ListenerKind.Admin"/>; the agent listener never matches
/// these endpoints, and tool routes never match on the admin listener):
/// <code>
/// POST   /admin/revocations        role revoke           201 + the stored record
/// GET    /admin/revocations        role read or revoke   200 {"revocations": [...]}
/// DELETE /admin/revocations/{id}   role revoke           200 + the lifted record; 404 unknown id (?reason= audited)
///                                                        503 fleet_unavailable when the fleet store cannot take it
/// GET    /admin/revocations/check  role read or revoke   200 would this sidecar refuse ?spiffe_id= (AdminCheckEndpoint)
/// </code>
/// Callers are authenticated by their X.509-SVID, validated at the handshake with the agents' rules and trust
/// bundles: no or a bad certificate is 401 with the agents' codes; a caller without the role is 403
/// <c>admin_forbidden</c>. Bad input is 400 <c>invalid_request</c> and changes nothing.
/// </summary>
internal static class AdminEndpoints
{
    public const string RevocationsPath = "/admin/revocations";
    private const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost(RevocationsPath, (RequestDelegate)CreateAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapGet(RevocationsPath, (RequestDelegate)ListAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapDelete(RevocationsPath + "/{id}", (RequestDelegate)LiftAsync).RequireListener(ListenerKind.Admin);
        endpoints.MapAdminCheckEndpoint();
        return endpoints;
    }

    private static async Task CreateAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context, AdminRoles.Revoke) is not { } caller)
        {
            return;
        }

        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", "the body is not valid JSON", null);
            return;
        }
        catch (BadHttpRequestException)
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", $"the body must be at most {MaxBodyBytes} bytes", null);
            return;
        }

        using (body)
        {
            if (!RevocationRequest.TryParse(body.RootElement, time.GetUtcNow(), out var request, out var errors))
            {
                await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", string.Join("; ", errors), errors);
                return;
            }

            var store = services.GetRequiredService<RevocationStore>();
            RevocationRecord record;
            try
            {
                record = store.Add(request.Subject, request.Action, request.Reason, request.ExpiresAt, caller.ToString());
            }
            catch (RevocationStateException ex)
            {
                await AdminProblem.WriteAsync(context, 503, "state_unavailable", "Revocation state unavailable", ex.Message, null);
                return;
            }

            var (closed, purged) = services.GetRequiredService<RevocationEnforcer>().Apply(record);
            services.GetRequiredService<AdminAudit>().Changed(context, caller.ToString(), "revocation_created", record, 201, closed, purged);

            // With a fleet store: in force here already; say whether Redis has it (else it is written on reconnect).
            var fleet = services.GetService<RevocationFleetSync>() is { } sync
                ? await sync.WaitPushedAsync(record.Id, TimeSpan.FromSeconds(1), context.RequestAborted) ? "replicated" : "queued"
                : null;
            context.Response.StatusCode = 201;
            context.Response.Headers.Location = RevocationsPath + "/" + record.Id;
            await WriteJsonAsync(context, json =>
            {
                json.WriteStartObject();
                AdminJson.WriteRecordMembers(json, record, time.GetUtcNow());
                json.WriteNumber("connections_closed", closed);
                json.WriteNumber("credentials_purged", purged);
                if (fleet is not null)
                {
                    json.WriteString("fleet", fleet);
                }

                json.WriteEndObject();
            });
        }
    }

    private static async Task ListAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context, AdminRoles.Read, AdminRoles.Revoke) is null)
        {
            return;
        }

        var services = context.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var snapshot = services.GetRequiredService<RevocationStore>().Snapshot;
        await WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("revocations");
            foreach (var record in snapshot.Records)
            {
                json.WriteStartObject();
                AdminJson.WriteRecordMembers(json, record, now);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static async Task LiftAsync(HttpContext context)
    {
        if (await AuthorizeAsync(context, AdminRoles.Revoke) is not { } caller)
        {
            return;
        }

        var services = context.RequestServices;
        var id = context.Request.RouteValues["id"] as string ?? string.Empty;

        // Optional ?reason=: why it is lifted, for the audit trail (the record's own reason otherwise).
        var reason = context.Request.Query["reason"].ToString();
        if (reason.Length > RevocationRequest.MaxReasonLength || reason.Any(char.IsControl))
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request",
                $"reason must be at most {RevocationRequest.MaxReasonLength} characters without control characters", null);
            return;
        }

        // With a fleet store, Redis first: a lift is never local only (Redis unreachable: 503, nothing changed).
        RevocationRecord? fleetRecord = null;
        if (services.GetService<RevocationFleetSync>() is { } fleet)
        {
            try
            {
                fleetRecord = await fleet.LiftAsync(id, caller.ToString(), string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), context.RequestAborted);
            }
            catch (FleetUnavailableException ex)
            {
                await AdminProblem.WriteAsync(context, 503, "fleet_unavailable", "Fleet revocation store unavailable", ex.Message, null);
                return;
            }
        }

        RevocationRecord? record;
        try
        {
            record = services.GetRequiredService<RevocationStore>().Remove(id) ?? fleetRecord;
        }
        catch (RevocationStateException ex)
        {
            await AdminProblem.WriteAsync(context, 503, "state_unavailable", "Revocation state unavailable", ex.Message, null);
            return;
        }

        if (record is null)
        {
            await AdminProblem.WriteAsync(context, 404, "not_found", "Unknown revocation", "no revocation has this id", null);
            return;
        }

        services.GetRequiredService<AdminAudit>().Changed(
            context, caller.ToString(), "revocation_lifted", string.IsNullOrWhiteSpace(reason) ? record : record with { Reason = reason.Trim() }, 200);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            AdminJson.WriteRecordMembers(json, record, now);
            json.WriteString("lifted_by", caller.ToString());
            json.WriteEndObject();
        });
    }

    /// <summary>The caller's SPIFFE ID when it holds one of <paramref name="roles"/>; otherwise the refusal is written.</summary>
    internal static Task<SpiffeId?> AuthorizeAsync(HttpContext context, params string[] roles) =>
        AuthorizeAsync(
            context,
            id => context.RequestServices.GetRequiredService<AdminAuthorizer>().HasAnyRole(id, roles),
            string.Join(" or ", roles));

    /// <summary>
    /// The caller's SPIFFE ID when its SVID is valid and <paramref name="allowed"/> says yes; otherwise the refusal (401 with
    /// the SVID's code, or 403 <c>admin_forbidden</c> naming <paramref name="needed"/>) is written and audited.
    /// </summary>
    internal static async Task<SpiffeId?> AuthorizeAsync(HttpContext context, Func<SpiffeId, bool> allowed, string needed)
    {
        var services = context.RequestServices;
        var audit = services.GetRequiredService<AdminAudit>();
        var result = context.Features.Get<IPeerIdentityFeature>()?.Result;
        if (result?.Identity is not { } identity)
        {
            var code = result?.Failure ?? DenialCode.SvidMissing;
            audit.Refused(context, null, code.Value, code.Status);
            await ProblemWriter.WriteAsync(context, code, result?.Detail ?? "no client certificate presented");
            return null;
        }

        if (services.GetRequiredService<TimeProvider>().GetUtcNow() > identity.NotAfter)
        {
            audit.Refused(context, identity.SpiffeId.ToString(), DenialCode.SvidExpired.Value, 401);
            await ProblemWriter.WriteAsync(context, DenialCode.SvidExpired, "x509svid: leaf certificate has expired");
            return null;
        }

        if (!allowed(identity.SpiffeId))
        {
            audit.Refused(context, identity.SpiffeId.ToString(), DenialCode.AdminForbidden.Value, 403);
            await ProblemWriter.WriteAsync(context, DenialCode.AdminForbidden, $"{identity.SpiffeId} does not hold the role {needed}");
            return null;
        }

        return identity.SpiffeId;
    }

    internal static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}

/// <summary>The JSON shape of a record in admin responses.</summary>
internal static class AdminJson
{
    public static void WriteRecordMembers(Utf8JsonWriter json, RevocationRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(record);
        json.WriteString("id", record.Id);
        json.WriteStartObject("subject");
        json.WriteString("kind", record.Subject.Kind);
        json.WriteString("value", record.Subject.Value);
        json.WriteEndObject();
        json.WriteString("action", record.Action);
        json.WriteString("reason", record.Reason);
        json.WriteString("created_at", Policy.PolicyInputBuilder.Rfc3339(record.CreatedAt));
        json.WriteString("created_by", record.CreatedBy);
        if (record.ExpiresAt is { } expires)
        {
            json.WriteString("expires_at", Policy.PolicyInputBuilder.Rfc3339(expires));
        }
        else
        {
            json.WriteNull("expires_at");
        }

        json.WriteBoolean("active", record.IsActive(now));
    }
}

/// <summary>Problem documents of the admin API that are not denial codes (400, 404, 503).</summary>
internal static class AdminProblem
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string title, string detail, IReadOnlyList<string>? errors)
    {
        ArgumentNullException.ThrowIfNull(context);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:sidecarproxy:admin:" + code);
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("code", code);
            if (errors is not null)
            {
                json.WriteStartArray("errors");
                foreach (var error in errors)
                {
                    json.WriteStringValue(error);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ProblemWriter.ContentType;
        response.Headers.CacheControl = "no-store";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
