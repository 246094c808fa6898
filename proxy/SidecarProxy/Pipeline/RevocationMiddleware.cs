using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Revocation;

namespace SidecarProxy.Pipeline;

/// <summary>Revocation stage: a revoked identity is refused before anything else is looked at.</summary>
internal sealed class RevocationMiddleware(RequestDelegate next, IRevocationCheck revocations, DenialResponder denials)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var kind = context.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent;
        if (kind == ListenerKind.Agent
            && await revocations.IsRevokedAsync(context.GetPeerIdentity(), taskId: null, context.RequestAborted))
        {
            await denials.DenyAsync(context, DenialCode.Revoked, "this identity has been revoked");
            return;
        }

        await next(context);
    }
}
