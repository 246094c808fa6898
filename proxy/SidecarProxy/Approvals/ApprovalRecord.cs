using System.Text.Json;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Approvals;

/// <summary>The states of an approval. Only <see cref="Pending"/> and <see cref="Approved"/> can still change.</summary>
internal static class ApprovalStates
{
    /// <summary>Waiting for approvers.</summary>
    public const string Pending = "pending";

    /// <summary>Enough distinct approvers; usable once, until it expires.</summary>
    public const string Approved = "approved";

    /// <summary>An approver denied it.</summary>
    public const string Denied = "denied";

    /// <summary>Its time ran out (pending or approved and unused), or a held request timed out.</summary>
    public const string Expired = "expired";

    /// <summary>Approved and consumed by the request it was made for.</summary>
    public const string Used = "used";

    /// <summary>The held agent went away before a decision.</summary>
    public const string Withdrawn = "withdrawn";

    /// <summary>The agent's identity or task was revoked.</summary>
    public const string Cancelled = "cancelled";

    public static bool IsOpen(string state) => state is Pending or Approved;
}

/// <summary>One approver's vote.</summary>
/// <param name="Approver">
/// Who voted, authenticated: an admin caller's SPIFFE ID (through the JSON API or the console, the same string), or a
/// person logged in to the console as <c>issuer#subject</c> (<see cref="ConsolePerson.Id"/>).
/// </param>
/// <param name="OnBehalfOf">The person the caller says it acts for (recorded; used only by the self-approval check).</param>
internal sealed record ApprovalVote(string Approver, string? OnBehalfOf, bool Approve, string? Comment, DateTimeOffset At)
{
    /// <summary>For a person: their name and e-mail from the id_token, for display only (never used by a check).</summary>
    public string? ApproverName { get; init; }
}

/// <summary>
/// What approvers see of the request: never a credential (the stripped headers are not part of it) and the body
/// only as a bounded, redacted preview.
/// </summary>
internal sealed record ApprovalContext
{
    public required string SpiffeId { get; init; }

    public string? TaskId { get; init; }

    public string? TaskIssuer { get; init; }

    public IReadOnlyDictionary<string, JsonElement> TaskClaims { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The task's requesting person (the <c>Sidecar:Approvals:RequesterClaim</c> claim), who may not approve.</summary>
    public string? RequestedBy { get; init; }

    public required string Tool { get; init; }

    public required string Method { get; init; }

    public required string Path { get; init; }

    /// <summary>The query string with redacted parameter values, or empty.</summary>
    public required string Query { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string? ContentType { get; init; }

    public long BodyBytes { get; init; }

    public required string BodySha256 { get; init; }

    public required ApprovalBodyPreview BodyPreview { get; init; }

    public string? Reason { get; init; }

    public string? DecisionId { get; init; }

    public string? PolicyRevision { get; init; }
}

/// <summary>A new approval, before the store gives it an id.</summary>
internal sealed record ApprovalDraft(string Digest, ApprovalTerms Terms, ApprovalContext Context);

/// <summary>One stored approval. Immutable: the store replaces it on every change.</summary>
internal sealed record ApprovalRecord
{
    public required string Id { get; init; }

    /// <summary>The request's <see cref="ApprovalDigest"/>.</summary>
    public required string Digest { get; init; }

    public required string State { get; init; }

    public required ApprovalTerms Terms { get; init; }

    public required ApprovalContext Context { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public IReadOnlyList<ApprovalVote> Votes { get; init; } = [];

    /// <summary>When it became approved or denied.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>When it stopped being open (used, denied, expired, withdrawn, cancelled).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Why it was cancelled (the revocation id), for the audit trail.</summary>
    public string? EndReason { get; init; }

    /// <summary>Distinct approving SPIFFE IDs, in vote order.</summary>
    public IReadOnlyList<string> ApprovedBy => [.. Votes.Where(v => v.Approve).Select(v => v.Approver).Distinct(StringComparer.Ordinal)];
}

