namespace SidecarProxy.Model;

/// <summary>
/// A decision's <c>contain</c> member: the policy asks the sidecar to revoke or quarantine the request's task or
/// identity, as an admin would (<c>docs/containment.md</c>). Parsed strictly by <c>DecisionDocument</c>.
/// </summary>
internal sealed record PolicyContainment(string Scope, string Action, string Reason)
{
    /// <summary>The request's task (its <c>input.task.id</c>).</summary>
    public const string TaskScope = "task";

    /// <summary>The request's SPIFFE ID.</summary>
    public const string IdentityScope = "identity";

    public const int MaxReasonLength = 1024;

    public static readonly IReadOnlyList<string> Scopes = [TaskScope, IdentityScope];

    public static readonly IReadOnlyList<string> Actions = ["revoke", "quarantine"];
}
