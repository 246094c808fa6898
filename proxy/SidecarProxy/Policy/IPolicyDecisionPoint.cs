using SidecarProxy.Model;

namespace SidecarProxy.Policy;

/// <summary>
/// Answers "may this task reach this tool, this way?". Implementations fail by throwing (the pipeline then
/// answers 503 <c>policy_unavailable</c>) or by returning a denying decision; they never return null.
/// The default is <see cref="DenyAllPolicyDecisionPoint"/>; a registered implementation replaces it.
/// </summary>
internal interface IPolicyDecisionPoint
{
    ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct);
}
