using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.Policy;

/// <summary>
/// Policy stage. Fails closed: an exception from the decision point is 503 <c>policy_unavailable</c>; a denial
/// is the decision's status (403 by default) with code <c>policy_denied</c>; a decision that requires approval
/// is held with 403 <c>approval_required</c> until an approval stage exists to release it.
/// </summary>
internal sealed partial class PolicyDecisionMiddleware(
    RequestDelegate next,
    IPolicyDecisionPoint decisionPoint,
    PolicyRequestFactory requests,
    DenialResponder denials,
    ProxyEvents events,
    Revocation.PolicyContainmentApplier containment,
    ILogger<PolicyDecisionMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var tool = context.GetTool();
        var request = requests.Create(
            context, context.GetPeerIdentity(), tool, context.Features.Get<ITaskContextFeature>()?.Task);

        PolicyDecision decision;
        try
        {
            decision = await decisionPoint.DecideAsync(request, context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogDecisionFailed(logger, ex, tool.Id);
            await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy decision point failed");
            return;
        }

        context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(request, decision));
        var extensions = decision.DecisionId is null
            ? null
            : new Dictionary<string, string> { ["decision_id"] = decision.DecisionId };
        // A contain (revoke or quarantine the task or identity) applies whatever else the decision says.
        if (decision.Contain is not null && !await containment.ApplyAsync(context, request, decision))
        {
            return;
        }

        // Approval first: a policy holds an action with require_approval whether or not it also says allowed.
        if (decision.RequireApproval)
        {
            await denials.DenyAsync(context, DenialCode.ApprovalRequired, decision.Reason, null, extensions);
            return;
        }

        if (!decision.Allowed)
        {
            var status = decision.HttpStatus is >= 400 and <= 599 ? decision.HttpStatus : null;
            await denials.DenyAsync(context, DenialCode.PolicyDenied, decision.Body ?? decision.Reason, status, extensions);
            return;
        }

        events.RequestAllowed(context, tool.Id);
        await next(context);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Policy decision failed for tool {ToolId}; denying")]
    private static partial void LogDecisionFailed(ILogger logger, Exception exception, string toolId);
}
