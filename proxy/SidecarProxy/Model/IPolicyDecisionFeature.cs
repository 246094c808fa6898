namespace SidecarProxy.Model;

/// <summary>The decision for this request, for the transforms (headers, credential scopes/TTL) and the audit.</summary>
internal interface IPolicyDecisionFeature
{
    PolicyRequest Request { get; }

    PolicyDecision Decision { get; }
}

internal sealed class PolicyDecisionFeature(PolicyRequest request, PolicyDecision decision) : IPolicyDecisionFeature
{
    public PolicyRequest Request { get; } = request;

    public PolicyDecision Decision { get; } = decision;
}
