using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Revocation;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Task-context stage: asks the <see cref="ITaskContextResolver"/> and records the task (or none). A revoked task
/// is refused here, the first stage that knows the task id (the revocation stage only knows the identity);
/// a quarantined task is recorded for the policy (<c>input.containment</c>), unless the identity already is.
/// </summary>
internal sealed class TaskContextMiddleware(
    RequestDelegate next,
    ITaskContextResolver resolver,
    IRevocationCheck revocations,
    DenialResponder denials,
    TaskRequestRegistry? inFlight = null)
{
    private static readonly TaskContextFeature NoTask = new(null);

    // CA2012: the ValueTask below is consumed exactly once: its Result when it completed synchronously, else awaited
    // by the continuation it is handed to.
#pragma warning disable CA2012
    public Task InvokeAsync(HttpContext context)
    {
        var identity = context.GetPeerIdentity();
        var resolving = resolver.ResolveAsync(context, identity, context.RequestAborted);

        // The usual request without a task grant continues without an async state machine of this stage.
        if (resolving.IsCompletedSuccessfully && resolving.Result is { Task: null, Denial: null })
        {
            context.Features.Set<ITaskContextFeature>(NoTask);
            return next(context);
        }

        return ContinueAsync(context, identity, resolving);
    }
#pragma warning restore CA2012

    private async Task ContinueAsync(HttpContext context, PeerIdentity identity, ValueTask<TaskContextResult> resolving)
    {
        var result = await resolving;
        if (result.Denial is { } code)
        {
            await denials.DenyAsync(context, code, result.Detail, result.Status, result.Extensions);
            return;
        }

        if (result.Task is { } task)
        {
            RevocationVerdict verdict;
            try
            {
                verdict = await revocations.CheckAsync(identity, task.Id, context.RequestAborted);
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
                await denials.DenyAsync(context, DenialCode.Revoked, "this task has been revoked");
                return;
            }

            if (verdict.Containment is { } containment && context.Features.Get<IContainmentFeature>() is null)
            {
                context.Features.Set<IContainmentFeature>(new ContainmentFeature(containment));
            }
        }

        context.Features.Set<ITaskContextFeature>(new TaskContextFeature(result.Task));

        // Tracked until the response ends, so revoking the task aborts this request (see TaskRequestRegistry).
        using var tracked = result.Task is { } current ? inFlight?.Register(current.Id, context) : null;
        await next(context);
    }
}
