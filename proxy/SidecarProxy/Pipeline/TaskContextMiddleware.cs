using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Revocation;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Task-context stage: asks the <see cref="ITaskContextResolver"/> and records the task (or none). A revoked task
/// is refused here, the first stage that knows the task id (the revocation stage only knows the identity).
/// </summary>
internal sealed class TaskContextMiddleware(
    RequestDelegate next, ITaskContextResolver resolver, IRevocationCheck revocations, DenialResponder denials)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var identity = context.GetPeerIdentity();
        var result = await resolver.ResolveAsync(context, identity, context.RequestAborted);
        if (result.Denial is { } code)
        {
            await denials.DenyAsync(context, code, result.Detail, result.Status, result.Extensions);
            return;
        }

        if (result.Task is { } task && await revocations.IsRevokedAsync(identity, task.Id, context.RequestAborted))
        {
            await denials.DenyAsync(context, DenialCode.Revoked, "this task has been revoked");
            return;
        }

        context.Features.Set<ITaskContextFeature>(new TaskContextFeature(result.Task));
        await next(context);
    }
}
