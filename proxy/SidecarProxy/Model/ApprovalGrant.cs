namespace SidecarProxy.Model;

/// <summary>What the policy sees once an approval is consumed (<c>input.approval</c>).</summary>
internal sealed record ApprovalGrant(string Id, IReadOnlyList<string> ApprovedBy, DateTimeOffset ApprovedAt);
