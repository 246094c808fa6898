using SidecarProxy.Model;

namespace SidecarProxy.Policy;

/// <summary>Used until a policy engine is configured: fail closed, with a reason that says why.</summary>
internal sealed class DenyAllPolicyDecisionPoint : IPolicyDecisionPoint
{
    public const string Reason = "no policy engine configured";

    private static readonly PolicyDecision Decision = PolicyDecision.Deny(Reason);

    public ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct) =>
        ValueTask.FromResult(Decision);
}
