using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Credentials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Admin;

/// <summary>
/// <c>GET /admin/revocations/check?spiffe_id=ID</c> (role read or revoke), read-only: whether this sidecar would
/// refuse a request of that identity now, and why; whether it still holds cached credentials for it; and the
/// state of its fleet sync. What <c>admin drill</c> polls on every sidecar.
/// <code>
/// {"spiffe_id": "...", "refused": true, "code": "revoked", "record_id": "rev_...", "action": "revoke",
///  "quarantined": false, "cached_credentials": 0, "revocations": 3,
///  "fleet": {"state": "synced", "version": 12, "staleness_seconds": 0.4}}   (fleet: null without Redis)
/// </code>
/// </summary>
internal static class AdminCheckEndpoint
{
    public const string CheckPath = AdminEndpoints.RevocationsPath + "/check";

    public static IEndpointRouteBuilder MapAdminCheckEndpoint(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(CheckPath, (RequestDelegate)CheckAsync).RequireListener(ListenerKind.Admin);
        return endpoints;
    }

    private static async Task CheckAsync(HttpContext context)
    {
        if (await AdminEndpoints.AuthorizeAsync(context, AdminRoles.Read, AdminRoles.Revoke) is null)
        {
            return;
        }

        var services = context.RequestServices;
        var value = context.Request.Query["spiffe_id"].ToString();
        if (!SpiffeId.TryParse(value, out var id, out var error) || id.Path.Length == 0)
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request",
                "spiffe_id must be the SPIFFE ID of a workload" + (string.IsNullOrEmpty(value) ? " (missing)" : error == SpiffeIdError.None ? " (it has no path)" : ": " + error.Message()), null);
            return;
        }

        var store = services.GetRequiredService<RevocationStore>();
        var verdict = store.Check(id, taskId: null);
        var fleet = services.GetService<RevocationFleetSync>();
        var stale = services.GetRequiredService<IRevocationFreshness>().RefuseRequests;
        var idString = id.ToString();
        var cached = services.GetRequiredService<CredentialCache>()
            .CountMatching(k => string.Equals(k.SpiffeId, idString, StringComparison.Ordinal));
        var record = verdict.Revoked ?? verdict.Quarantined;
        await AdminEndpoints.WriteJsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("spiffe_id", idString);
            json.WriteBoolean("refused", stale || verdict.IsRevoked);
            if (stale)
            {
                json.WriteString("code", DenialCode.RevocationsStale.Value);
            }
            else if (verdict.IsRevoked)
            {
                json.WriteString("code", DenialCode.Revoked.Value);
            }
            else
            {
                json.WriteNull("code");
            }

            json.WriteBoolean("quarantined", verdict.Quarantined is not null && !verdict.IsRevoked);
            if (record is not null)
            {
                json.WriteString("record_id", record.Id);
                json.WriteString("action", record.Action);
            }
            else
            {
                json.WriteNull("record_id");
                json.WriteNull("action");
            }

            json.WriteNumber("cached_credentials", cached);
            json.WriteNumber("revocations", store.Snapshot.Records.Count);
            if (fleet is null)
            {
                json.WriteNull("fleet");
            }
            else
            {
                json.WriteStartObject("fleet");
                json.WriteString("state", fleet.State);
                json.WriteNumber("version", fleet.AppliedVersion);
                json.WriteNumber("staleness_seconds", Math.Round(fleet.Staleness.TotalSeconds, 3));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }
}
