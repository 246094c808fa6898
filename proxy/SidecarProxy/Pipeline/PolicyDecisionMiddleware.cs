using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SidecarProxy.Approvals;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Policy stage. Fails closed: an exception from the decision point is 503 <c>policy_unavailable</c>; a denial
/// is the decision's status (403 by default) with code <c>policy_denied</c>; a decision that requires approval
/// goes to the approval stage (<see cref="Approvals.ApprovalGate"/>), which answers (approval_required, ...) or
/// returns the policy's new decision with <c>input.approval</c> once an approval is consumed. A request the agent
/// abandons while the policy is evaluated is a client abort, not a server error: nothing is forwarded, no error
/// is logged, it is counted in <c>sidecar_client_aborts_total{stage="policy"}</c> and audited as <c>aborted</c>.
/// </summary>
internal sealed partial class PolicyDecisionMiddleware(
    RequestDelegate next,
    IPolicyDecisionPoint decisionPoint,
    PolicyRequestFactory requests,
    DenialResponder denials,
    SidecarMetrics metrics,
    PolicyContainmentApplier containment,
    ILogger<PolicyDecisionMiddleware> logger,
    Approvals.ApprovalGate? approvals = null)
{
    private readonly Prometheus.Counter.Child _aborts = metrics.ClientAborts.WithLabels("policy");

    // CA2012: the ValueTask below is consumed exactly once: its Result when it completed synchronously, else awaited
    // by the continuation it is handed to.
#pragma warning disable CA2012
    public Task InvokeAsync(HttpContext context)
    {
        // The MCP stage decides each JSON-RPC message of a POST itself and records an allowing decision for
        // what it forwards (Mcp/McpMiddleware.cs); it calls this stage only then.
        if (context.Features.Get<IPolicyDecisionFeature>() is { Decision: { Allowed: true, RequireApproval: false } })
        {
            return next(context);
        }

        var tool = context.GetTool();
        var request = requests.Create(
            context, context.GetPeerIdentity(), tool, context.Features.Get<ITaskContextFeature>()?.Task);
        ValueTask<PolicyDecision> deciding;
        try
        {
            deciding = decisionPoint.DecideAsync(request, context.RequestAborted);
        }
#pragma warning disable CA1031 // Fail closed: the awaited path below sorts the failure out and refuses the request.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            deciding = ValueTask.FromException<PolicyDecision>(ex);
        }

        // The usual allowed request (the embedded engine decides synchronously; nothing to contain or approve)
        // continues without an async state machine of this stage.
        if (deciding.IsCompletedSuccessfully && deciding.Result is { Allowed: true, RequireApproval: false, Contain: null } allowed)
        {
            context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(request, allowed));
            return ForwardAsync(context);
        }

        return DecideAsync(context, tool, request, deciding);
    }
#pragma warning restore CA2012

    private async Task DecideAsync(HttpContext context, ToolDescriptor tool, PolicyRequest request, ValueTask<PolicyDecision> deciding)
    {
        PolicyDecision decision;
        try
        {
            decision = await deciding;
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested)
        {
            // Whatever the engine threw (eval_cancel_error, OperationCanceledException, ...), the agent went away.
            _aborts.Inc();
            context.FindOutcome()?.Abort(context.Response);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                var exceptionType = ex.GetType().Name;
                LogClientAborted(logger, tool.Id, exceptionType);
            }

            return;
        }
        catch (PolicyEngineException)
        {
            // Counted and logged (once per distinct policy error and revision) by the decision point.
            await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy decision point failed");
            return;
        }
        catch (Exception ex)
        {
            LogDecisionFailed(logger, ex, tool.Id);
            await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy decision point failed");
            return;
        }

        context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(request, decision));

        // A contain (revoke or quarantine the task or identity) applies whatever else the decision says.
        if (decision.Contain is not null && !await containment.ApplyAsync(context, request, decision))
        {
            return;
        }

        // Approval first: a policy holds an action with require_approval whether or not it also says allowed.
        if (decision.RequireApproval)
        {
            if (approvals is null)
            {
                await denials.DenyAsync(context, DenialCode.ApprovalRequired, decision.Reason, null, decision.ProblemExtensions());
                return;
            }

            // The gate answers itself, or hands back the decision made with input.approval (never require_approval).
            if (await approvals.GateAsync(context, request, decision) is not { } approved)
            {
                return;
            }

            (request, decision) = approved;
            context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(request, decision));
        }

        if (!decision.Allowed)
        {
            var status = decision.HttpStatus is >= 400 and <= 599 ? decision.HttpStatus : null;
            await denials.DenyAsync(context, DenialCode.PolicyDenied, decision.Body ?? decision.Reason, status, decision.ProblemExtensions());
            return;
        }

        await ForwardAsync(context);
    }

    /// <summary>An allowed request (its decision already recorded in the features) goes on to the credential stage.</summary>
    private Task ForwardAsync(HttpContext context)
    {
        context.FindOutcome()?.Allow();
        return next(context);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Policy decision failed for tool {ToolId}; denying")]
    private static partial void LogDecisionFailed(ILogger logger, Exception exception, string toolId);

    [LoggerMessage(EventId = 3002, EventName = "PolicyClientAborted", Level = LogLevel.Debug,
        Message = "Client abandoned the request to tool {ToolId} during the policy decision ({ExceptionType})")]
    private static partial void LogClientAborted(ILogger logger, string toolId, string exceptionType);
}
