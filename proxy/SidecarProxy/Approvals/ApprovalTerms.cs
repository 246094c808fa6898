using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>The approval terms in force for one request (decision members over <see cref="ApprovalOptions"/>).</summary>
internal sealed record ApprovalTerms(int MinApprovals, IReadOnlyList<string> ApproverRoles, TimeSpan Ttl, string Mode, TimeSpan HoldTimeout)
{
    /// <summary>Member-wise equality (the record's own compares the role list by reference).</summary>
    public bool SameAs(ApprovalTerms other) =>
        other is not null && MinApprovals == other.MinApprovals && Ttl == other.Ttl && Mode == other.Mode
        && HoldTimeout == other.HoldTimeout && ApproverRoles.SequenceEqual(other.ApproverRoles, StringComparer.Ordinal);
}

internal static class ApprovalRequirementExtensions
{
    /// <summary>The terms in force: this requirement's members, the options' defaults for the rest.</summary>
    public static ApprovalTerms Resolve(this ApprovalRequirement requirement, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ApprovalTerms(
            requirement.MinApprovals ?? options.MinApprovals,
            requirement.ApproverRoles,
            requirement.TtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : options.Ttl,
            requirement.Mode ?? options.Mode,
            requirement.HoldSeconds is { } hold ? TimeSpan.FromSeconds(hold) : options.HoldTimeout);
    }
}
