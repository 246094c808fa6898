using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Route stage, right after endpoint routing: on the agent listener the only endpoints are YARP tool routes, so
/// no endpoint means no tool (404 <c>unknown_tool</c>, never an open-proxy fallback); otherwise the tool is
/// recorded for the later stages.
/// </summary>
internal sealed class ToolRouteMiddleware(RequestDelegate next, DenialResponder denials)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            return next(context);
        }

        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (route is null)
        {
            return denials.DenyAsync(context, DenialCode.UnknownTool, "no tool route matches this request");
        }

        context.Features.Set<IToolFeature>(new ToolFeature(ToolDescriptor.For(route.Config)));
        return next(context);
    }
}
