using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Credentials;
using SidecarProxy.Model;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Policy.Reach;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;
using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Admin;

/// <summary>
/// <c>GET /admin/reach?principal=SPIFFE_ID</c> (role read or revoke) on the admin listener: the blast radius of an
/// identity against the running policy (whatever the engine) and the running routes. Each route's tool is asked
/// about for every action (the embedded policy's <c>data.sidecar.authz.actions</c>, else read/write/delete as
/// GET/POST/DELETE), without a task grant, with the identity's current quarantine as <c>input.containment</c>; a
/// revoked identity reaches nothing. <c>ttl_seconds</c> is the decision's, capped by the route's credential provider
/// MaxTtl. The answer is <c>policy reach --json</c>'s shape.
/// </summary>
internal static class ReachEndpoint
{
    public const string Path = "/admin/reach";

    public static IEndpointRouteBuilder MapReachEndpoint(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(Path, (RequestDelegate)ReachAsync).RequireListener(ListenerKind.Admin);
        return endpoints;
    }

    private static async Task ReachAsync(HttpContext context)
    {
        if (await AdminEndpoints.AuthorizeAsync(context, AdminRoles.Read, AdminRoles.Revoke) is null)
        {
            return;
        }

        var services = context.RequestServices;
        var principal = context.Request.Query["principal"].ToString();
        if (!SpiffeId.TryParse(principal, out var id, out _) || id.Path.Length == 0)
        {
            await AdminProblem.WriteAsync(context, 400, "invalid_request", "Invalid request", "principal must be the SPIFFE ID of a workload", null);
            return;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var routes = services.GetRequiredService<IProxyConfigProvider>().GetConfig().Routes;
        var descriptors = routes.Select(ToolDescriptor.For).DistinctBy(t => t.Id).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        var tools = descriptors.Select(t => new ReachTool(t.Id, t.Labels)).ToList();
        var actions = services.GetService<IPolicyEngine>() is EmbeddedPolicyEngine embedded
            ? ReachEvaluator.ActionsFrom(embedded.Policy.Evaluate(ReachEvaluator.ActionsRef, null)?.ToJson())
            : ReachEvaluator.DefaultActions;
        var verdict = services.GetRequiredService<RevocationStore>().Check(id, null);
        IReadOnlyList<ReachRow> rows;
        if (verdict.Revoked is { } revoked)
        {
            rows = [.. tools.SelectMany(t => actions.Select(a =>
                new ReachRow(t.Id, a.Action, a.Method, false, [], null, false, $"revoked ({revoked.Id})", null)))];
        }
        else
        {
            var pdp = services.GetRequiredService<IPolicyDecisionPoint>();
            rows = await ReachEvaluator.EvaluateAsync(
                id.ToString(), null, verdict.Containment, tools, actions, r => pdp.DecideAsync(r, context.RequestAborted), now, context.RequestAborted);
            var credentials = services.GetRequiredService<CredentialProviderRegistry>();
            rows = [.. rows.Select(row =>
            {
                var credential = descriptors.First(d => d.Id == row.Tool).Credential;
                if (row.TtlSeconds is { } ttl && credential is not null && credentials.TryGet(credential, out var provider))
                {
                    return row with { TtlSeconds = (int)Math.Min(ttl, provider.MaxTtl.TotalSeconds) };
                }

                return row;
            })];
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            ReachEvaluator.WriteJson(json, id.ToString(), null, rows);
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
