using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Spiffe;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// The task-context stage backed by <see cref="TaskGrantValidator"/>: every rejected grant is
/// <c>task_grant_invalid</c> (401, or 503 when the keys cannot be loaded), with the finer reason as the
/// problem's <c>grant_error</c> member. The grant never leaves this stage: it is stripped before the policy
/// input is built and before forwarding (<c>StrippedHeaders</c>).
/// </summary>
internal sealed class TaskGrantContextResolver(TaskGrantValidator validator) : ITaskContextResolver
{
    public const string GrantErrorMember = "grant_error";

    public async ValueTask<TaskContextResult> ResolveAsync(HttpContext context, PeerIdentity identity, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(identity);
        var result = await validator.ValidateAsync(
            context.Request.Headers[TaskGrantValidator.HeaderName], identity.SpiffeId.ToString(), ct);
        if (result.Succeeded)
        {
            return result.Task is { } task ? TaskContextResult.For(task) : TaskContextResult.None;
        }

        // The audit line says why (the same stable code as the problem's grant_error) and, when the grant parsed,
        // which task it claimed: unverified, which the grant_error beside it makes plain.
        if (context.FindOutcome() is { } outcome)
        {
            outcome.GrantError = result.Code;
            outcome.ClaimedTaskId = result.ClaimedTaskId;
        }

        return TaskContextResult.Deny(DenialCode.TaskGrantInvalid, "task grant rejected: " + result.Reason) with
        {
            Status = result.StatusCode,
            Extensions = new Dictionary<string, string>(1) { [GrantErrorMember] = result.Code! },
        };
    }
}
