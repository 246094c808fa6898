using System.Collections.ObjectModel;
namespace SidecarProxy.Model;

/// <summary>
/// A policy's answer, mirroring the decision object of the design (and the OPA-Envoy plugin's): only
/// <see cref="Allowed"/> is required. Unset collections are empty, never null.
/// </summary>
internal sealed record PolicyDecision
{
    public required bool Allowed { get; init; }

    /// <summary>Why; shown to the agent as the problem's <c>detail</c> on denial and written to the audit trail.</summary>
    public string? Reason { get; init; }

    /// <summary>Scopes the credential should carry.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Requested credential lifetime; providers cap it at their MaxTtl.</summary>
    public TimeSpan? CredentialTtl { get; init; }

    /// <summary>Hold the action until a human approves it.</summary>
    public bool RequireApproval { get; init; }

    /// <summary>The decision's <c>approval</c> terms (each member optional; <c>Sidecar:Approvals</c> gives the rest).</summary>
    public ApprovalRequirement? Approval { get; init; }

    /// <summary>Headers set on the forwarded request (credential headers are ignored).</summary>
    public IReadOnlyDictionary<string, string> HeadersToAdd { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Headers removed from the forwarded request.</summary>
    public IReadOnlyList<string> HeadersToRemove { get; init; } = [];

    /// <summary>Status of a denial (400-599); 403 when unset or out of range.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Denial text for the agent; replaces <see cref="Reason"/> as the problem's detail when set.</summary>
    public string? Body { get; init; }

    /// <summary>The policy asks the sidecar to revoke or quarantine the request's task or identity; null when not.</summary>
    public PolicyContainment? Contain { get; init; }

    /// <summary>Engine-provided decision id (OPA's <c>decision_id</c>), for the audit trail.</summary>
    public string? DecisionId { get; init; }

    /// <summary>The policy revision that produced this decision, for the audit trail.</summary>
    public string? PolicyRevision { get; init; }

    /// <summary>The problem members a refusal on this decision carries: its <c>decision_id</c>, when there is one.</summary>
    public Dictionary<string, string>? ProblemExtensions() =>
        DecisionId is null ? null : new Dictionary<string, string>(1) { ["decision_id"] = DecisionId };

    public static PolicyDecision Deny(string reason) => new() { Allowed = false, Reason = reason };

    public static PolicyDecision Allow(string? reason = null) => new() { Allowed = true, Reason = reason };
}
