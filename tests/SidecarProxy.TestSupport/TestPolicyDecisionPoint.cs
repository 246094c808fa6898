using System.Collections.Concurrent;
using SidecarProxy.Model;
using SidecarProxy.Policy;

namespace SidecarProxy.TestSupport;

/// <summary>A decision point for tests: answers with a function and records what it was asked.</summary>
internal sealed class TestPolicyDecisionPoint(Func<PolicyRequest, PolicyDecision> decide) : IPolicyDecisionPoint
{
    private readonly ConcurrentQueue<PolicyRequest> _requests = new();

    public IReadOnlyList<PolicyRequest> Requests => [.. _requests];

    public Func<PolicyRequest, PolicyDecision> Decide { get; set; } = decide;

    public static TestPolicyDecisionPoint AllowAll() => new(_ => PolicyDecision.Allow("test allows"));

    public ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct)
    {
        _requests.Enqueue(request);
        return ValueTask.FromResult(Decide(request));
    }
}
