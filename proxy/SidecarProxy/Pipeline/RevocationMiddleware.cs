using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Revocation;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Revocation stage: a revoked identity (exact SPIFFE ID, SPIFFE ID prefix or trust domain) is refused before
/// anything else is looked at; a quarantined one goes on with its containment recorded for the policy. Fails
/// closed: a check that throws refuses the request.
/// </summary>
internal sealed class RevocationMiddleware(RequestDelegate next, IRevocationCheck revocations, DenialResponder denials)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            await next(context);
            return;
        }

        RevocationVerdict verdict;
        try
        {
            verdict = await revocations.CheckAsync(context.GetPeerIdentity(), taskId: null, context.RequestAborted);
        }
#pragma warning disable CA1031 // Fail closed: whatever went wrong, the request is refused.
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            await denials.DenyAsync(context, DenialCode.Revoked, "the revocation list could not be checked");
            return;
        }

        if (verdict.IsRevoked)
        {
            await denials.DenyAsync(context, DenialCode.Revoked, "this identity has been revoked");
            return;
        }

        if (verdict.Containment is { } containment)
        {
            context.Features.Set<IContainmentFeature>(new ContainmentFeature(containment));
        }

        await next(context);
    }
}
