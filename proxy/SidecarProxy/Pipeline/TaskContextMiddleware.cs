using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;

namespace SidecarProxy.Pipeline;

/// <summary>Task-context stage: asks the <see cref="ITaskContextResolver"/> and records the task (or none).</summary>
internal sealed class TaskContextMiddleware(RequestDelegate next, ITaskContextResolver resolver, DenialResponder denials)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var result = await resolver.ResolveAsync(context, context.GetPeerIdentity(), context.RequestAborted);
        if (result.Denial is { } code)
        {
            await denials.DenyAsync(context, code, result.Detail, result.Status, result.Extensions);
            return;
        }

        context.Features.Set<ITaskContextFeature>(new TaskContextFeature(result.Task));
        await next(context);
    }
}
