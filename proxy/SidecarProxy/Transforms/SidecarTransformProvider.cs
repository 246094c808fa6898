using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SidecarProxy.Transforms;

/// <summary>
/// Adds the sidecar's request transforms to every tool route and validates tool metadata when YARP loads
/// configuration (at start-up an invalid route stops the process; on reload YARP keeps the last good config).
/// Transforms run in the order providers are registered: this one first, so a credential transform added by
/// a provider registered later sees a request with every agent credential already removed.
/// </summary>
internal sealed class SidecarTransformProvider(StrippedHeaders stripped, DenialResponder denials) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var error in ToolDescriptor.Validate(context.Route))
        {
            context.Errors.Add(new InvalidOperationException(error));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // YARP adds X-Forwarded-For/Proto/Host/Prefix by default. Tools are third-party APIs reached on the agent's
        // behalf: they have no use for the pod's loopback address or the sidecar's own host, and an egress proxy
        // should not describe the inside of the pod to them. A route that wants them says so with YARP's own
        // "X-Forwarded" transform, which still applies.
        context.UseDefaultForwarders = false;
        context.RequestTransforms.Add(new StripCredentialHeadersTransform(stripped));
        context.RequestTransforms.Add(new PolicyHeadersTransform(stripped, denials));
    }
}
