namespace SidecarProxy.Model;

/// <summary>Set on a request whose identity or task is quarantined; the policy input carries it as <c>input.containment</c>.</summary>
internal interface IContainmentFeature
{
    ContainmentState State { get; }
}

internal sealed class ContainmentFeature(ContainmentState state) : IContainmentFeature
{
    public ContainmentState State { get; } = state;
}

/// <summary>The quarantine of a request, as the policy sees it (<c>input.containment</c>).</summary>
internal sealed record ContainmentState(string State, string Reason, DateTimeOffset Since, string RecordId);
