using Microsoft.AspNetCore.Builder;
using SidecarProxy.Signals;
using SidecarProxy.Admin;
using SidecarProxy.Approvals;
using SidecarProxy.Audit;
using SidecarProxy.Credentials;
using SidecarProxy.Health;
using SidecarProxy.Hosting;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;

namespace SidecarProxy.Pipeline;

/// <summary>
/// The order of the request pipeline, in one place (as YARP keeps its own in
/// ReverseProxyIEndpointRouteBuilderExtensions). Each stage either calls the next one or refuses the request
/// through <c>DenialResponder</c>, which sets the response; YARP never forwards a request whose response is set.
/// <code>
/// identity -> framing -> revocation -> path -> route -> task context (+ task revocation) -> policy -> credential (request transforms) -> forward (-> upstream failure)
/// </code>
/// Revocation is checked twice: the identity (exact SPIFFE ID, prefix, trust domain) in the revocation stage, and
/// the task in the task-context stage, the first that knows the task id. A quarantine found by either is passed
/// to the policy as <c>input.containment</c>. The admin API (<c>Admin/AdminEndpoints</c>) answers only on the
/// admin listener and never goes through these stages' agent checks.
/// To add a stage, write a middleware that ends with <c>await next(context)</c> or a denial, and insert one line
/// below at its place in the order. Credential injection is a YARP request transform (see
/// <c>SidecarTransformProvider</c>), because it must act on the outgoing request after stripping.
/// </summary>
internal static class SidecarPipeline
{
    public static WebApplication UseSidecarPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // 0. Metrics: times and counts every agent request, whatever stage answers it.
        app.UseMiddleware<RequestMetricsMiddleware>();

        // 1. Identity: the X.509-SVID validated at the TLS handshake (agent listener only).
        app.UseMiddleware<AgentIdentityMiddleware>();

        // Audit: one record per request of a known agent, allowed or denied, written when the request ends.
        app.UseMiddleware<AuditMiddleware>();

        // Framing: ambiguous body framing (400) or a known body over the limit (413), before anything is forwarded.
        app.UseMiddleware<RequestFramingMiddleware>();

        // 2. Revocation of the identity.
        app.UseMiddleware<RevocationMiddleware>();

        // Path: a target a tool could read differently than the policy is refused, or normalized (Sidecar:Paths),
        // before routing, so the route, the policy and the forwarded request all use one path.
        app.UseMiddleware<PathGuardMiddleware>();

        // Approvals: the approvals API and console answer 503 approval_store_unavailable while the shared store
        // (Redis) is unreachable (agent requests are refused by the approval stage itself).
        app.UseMiddleware<ApprovalStoreUnavailableMiddleware>();

        // 3. Route: endpoint routing picks the YARP route (= tool); no route is 404 unknown_tool.
        app.UseRouting();
        app.UseMiddleware<ToolRouteMiddleware>();

        app.MapHealthEndpoints();
        app.MapJwks().RequireListener(ListenerKind.Operations);
        app.MapAdminEndpoints();
        app.MapSsfEndpoints();
        app.MapReachEndpoint();
        app.MapApprovalEndpoints();

        // The approval console (admin listener): admin SPIFFE IDs by client certificate, people with Sidecar:Approvals:Oidc.
        app.MapApprovalConsole();
        app.MapReverseProxy(proxy =>
        {
            // 4. Task context: the agent's task grant, if any; a revoked task is refused here.
            proxy.UseMiddleware<TaskContextMiddleware>();

            // 4b. MCP routes: read, check and decide each JSON-RPC message; filter list results (docs/mcp.md).
            proxy.UseMiddleware<McpMiddleware>();

            // 5. Policy decision.
            proxy.UseMiddleware<PolicyDecisionMiddleware>();

            // 6. Credential: request transforms strip agent credentials, apply the decision's headers and
            //    inject the tool credential (transform providers, in registration order).
            // 7. Forward: YARP's own stages, then its forwarder. No session affinity: agents do not carry
            //    YARP's affinity cookie, and it would need Data Protection keys.
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();

            // A failing tool (unreachable, reset, too slow, unusable headers) is answered as the sidecar's own
            // upstream_unavailable / upstream_timeout, counted and audited as an error.
            proxy.UseMiddleware<UpstreamFailureMiddleware>();

            // Times the forwarder alone (upstream latency), so it must stay the last stage before it.
            proxy.UseMiddleware<UpstreamMetricsMiddleware>();
        });
        return app;
    }
}
