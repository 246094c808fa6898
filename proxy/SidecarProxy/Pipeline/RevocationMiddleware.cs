using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Revocation;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Revocation stage: a revoked identity (exact SPIFFE ID, SPIFFE ID prefix or trust domain) is refused before
/// anything else is looked at; a quarantined one goes on with its containment recorded for the policy. Fails
/// closed: a check that throws refuses the request. With a fleet store that is stale and <c>OnStale=deny</c>, every
/// agent request is refused with 503 <c>revocations_stale</c> first.
/// </summary>
internal sealed class RevocationMiddleware(
    RequestDelegate next, IRevocationCheck revocations, DenialResponder denials, IRevocationFreshness? freshness = null)
{
    // CA2012: the ValueTask below is consumed exactly once: its Result when it completed synchronously, else awaited
    // by the continuation it is handed to.
#pragma warning disable CA2012
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            return next(context);
        }

        if (freshness is { RefuseRequests: true })
        {
            return denials.DenyAsync(
                context, DenialCode.RevocationsStale, "the revocation list has not been synced with the fleet's store for too long");
        }

        ValueTask<RevocationVerdict> check;
        try
        {
            check = revocations.CheckAsync(context.GetPeerIdentity(), taskId: null, context.RequestAborted);
        }
#pragma warning disable CA1031 // Fail closed: whatever went wrong, the request is refused.
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return Unchecked(context);
        }

        // The usual case (the in-memory list answered at once, nothing revoked) continues without an async state
        // machine of this stage; anything else goes the awaited way.
        if (check.IsCompletedSuccessfully && check.Result is { Revoked: null, Quarantined: null })
        {
            return next(context);
        }

        return ContinueAsync(context, check);
    }
#pragma warning restore CA2012

    private async Task ContinueAsync(HttpContext context, ValueTask<RevocationVerdict> check)
    {
        RevocationVerdict verdict;
        try
        {
            verdict = await check;
        }
#pragma warning disable CA1031 // Fail closed: whatever went wrong, the request is refused.
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
#pragma warning restore CA1031
        {
            await Unchecked(context);
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

    private Task Unchecked(HttpContext context) =>
        denials.DenyAsync(context, DenialCode.Revoked, "the revocation list could not be checked");
}
