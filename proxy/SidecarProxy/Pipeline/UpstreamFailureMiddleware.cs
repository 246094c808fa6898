using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Turns a failure of the tool (refused connection, reset, no answer within the cluster's activity timeout, response
/// headers too large for the forwarder) into the sidecar's own answer: YARP leaves an empty 502 or 504, which tells
/// the agent nothing and the audit trail that the request was simply allowed. Before the response has started the
/// agent gets a problem document, 502 <c>upstream_unavailable</c> or 504 <c>upstream_timeout</c>; after it has
/// started (the tool reset the connection mid-body) the forwarder has already aborted the agent's connection, so a
/// truncated body can never pass for a complete one, and only the verdict is recorded. Either way the failure is
/// counted in <c>sidecar_denials_total</c> and audited as <c>error</c> with the code as its reason. Failures caused
/// by the agent itself (it went away, or its request body broke) are not the tool's and are left alone.
/// </summary>
internal sealed class UpstreamFailureMiddleware(RequestDelegate next, DenialResponder denials)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        if (!IsUpstreamFault(error) || (context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted))
        {
            return;
        }

        var code = error == ForwarderError.RequestTimedOut ? DenialCode.UpstreamTimeout : DenialCode.UpstreamUnavailable;
        if (context.Response.HasStarted || IsMcpRoute(context))
        {
            // Too late for a problem document (or an MCP route, whose answers are JSON-RPC): count and audit only.
            denials.Record(context, code);
            return;
        }

        await denials.DenyAsync(context, code, code == DenialCode.UpstreamTimeout
            ? "the tool did not answer in time"
            : "the tool could not be reached or sent an unusable response");
    }

    private static bool IsUpstreamFault(ForwarderError error) => error switch
    {
        ForwarderError.None => false,

        // The agent's side: it went away or its request body broke.
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
            or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
            or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient => false,
        _ => true,
    };

    private static bool IsMcpRoute(HttpContext context) =>
        context.Features.Get<IReverseProxyFeature>()?.Route.Config is { } route && McpRoute.IsMcp(route);
}
