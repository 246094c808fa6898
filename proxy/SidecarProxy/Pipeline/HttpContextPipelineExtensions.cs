using Microsoft.AspNetCore.Http;
using SidecarProxy.Identity;
using SidecarProxy.Routing;

namespace SidecarProxy.Pipeline;

internal static class HttpContextPipelineExtensions
{
    /// <summary>The verified agent; only valid in stages after the identity stage, which guarantees it.</summary>
    public static PeerIdentity GetPeerIdentity(this HttpContext context) =>
        context.Features.Get<IPeerIdentityFeature>()?.Result.Identity
        ?? throw new InvalidOperationException("the identity stage has not authenticated this request");

    /// <summary>The routed tool; only valid in stages after the route stage.</summary>
    public static ToolDescriptor GetTool(this HttpContext context) =>
        context.Features.Get<IToolFeature>()?.Tool
        ?? throw new InvalidOperationException("the route stage has not resolved a tool for this request");
}
