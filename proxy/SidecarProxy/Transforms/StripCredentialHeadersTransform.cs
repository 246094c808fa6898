using SidecarProxy.Routing;
using Yarp.ReverseProxy.Transforms;

namespace SidecarProxy.Transforms;

/// <summary>Removes every agent-supplied credential and identity header from the outgoing request.</summary>
internal sealed class StripCredentialHeadersTransform(StrippedHeaders headers) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var name in headers.Names)
        {
            RemoveHeader(context, name);
        }

        return ValueTask.CompletedTask;
    }
}
