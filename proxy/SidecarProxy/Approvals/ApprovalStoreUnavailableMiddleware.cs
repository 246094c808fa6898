using Microsoft.AspNetCore.Http;
using SidecarProxy.Admin;
using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>
/// Turns <see cref="ApprovalStoreUnavailableException"/> escaping an admin endpoint (the approvals API, the console)
/// into 503 <c>approval_store_unavailable</c>: with the shared store unreachable nothing can be read or decided,
/// and nothing was. Agent requests never get here with it: the approval stage answers them itself.
/// </summary>
internal sealed class ApprovalStoreUnavailableMiddleware(RequestDelegate next)
{
    public const string Code = "approval_store_unavailable";

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Agent requests never reach the approvals API or console (the approval stage refuses them itself), so
        // they pass without an async state machine of this stage.
        return context.IsAgentRequest() ? next(context) : GuardAsync(context);
    }

    private async Task GuardAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ApprovalStoreUnavailableException) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.Headers.RetryAfter = "5";
            await AdminProblem.WriteAsync(context, 503, Code, "Approval store unavailable",
                "the shared approval store (Redis) is unreachable; nothing was read or changed, try again", null);
        }
    }
}
