using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>
/// <c>Sidecar:Approvals</c>: defaults for decisions that say <c>require_approval: true</c> (a decision's own
/// <c>approval</c> object wins member by member) and the limits of the approval stage. See docs/approvals.md.
/// </summary>
internal sealed record ApprovalOptions
{
    public const string SectionName = "Sidecar:Approvals";

    /// <summary>Built-in <see cref="RedactFields"/> when none are configured.</summary>
    public static readonly IReadOnlyList<string> DefaultRedactFields =
    [
        "password", "passwd", "secret", "client_secret", "token", "access_token", "refresh_token", "id_token",
        "api_key", "apikey", "authorization", "private_key", "credential", "credentials",
    ];

    /// <summary>Distinct approvers needed when the decision does not say (<c>min_approvals</c>) [1].</summary>
    public int MinApprovals { get; init; } = 1;

    /// <summary>How long an approval lives, pending or approved and unused (<c>ttl_seconds</c>) [00:15:00].</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary><c>refuse</c> (403 with an approval id, the agent retries) or <c>hold</c> (the request waits) [refuse].</summary>
    public string Mode { get; init; } = ApprovalModes.Refuse;

    /// <summary>How long a held request waits for a decision (<c>hold_seconds</c>) [00:02:00].</summary>
    public TimeSpan HoldTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Largest body of an approval-gated request; larger is 413 <c>approval_body_too_large</c> [1048576].</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Base URL of the approval console; <c>approval_url</c> is this + <c>/approvals/{id}</c>. Default: the admin listener's URL.</summary>
    public Uri? ConsoleUrl { get; init; }

    /// <summary>JSON members, form fields and query parameters whose values are redacted in the body preview (case-insensitive). Empty: <see cref="DefaultRedactFields"/>.</summary>
    public List<string> RedactFields { get; init; } = [];

    /// <summary>The <c>Retry-After</c> of <c>approval_required</c> and <c>approval_pending</c>, in seconds [30].</summary>
    public int RetryAfterSeconds { get; init; } = 30;

    /// <summary>The task grant claim naming the person who asked for the task; that person may not approve its requests [requested_by].</summary>
    public string RequesterClaim { get; init; } = "requested_by";

    /// <summary>Most approvals pending at once; beyond it a new one is refused with 503 <c>approval_unavailable</c> [1000].</summary>
    public int MaxPending { get; init; } = 1000;

    /// <summary>How long a decided (approved and used, denied, expired, withdrawn, cancelled) approval stays listed [01:00:00].</summary>
    public TimeSpan DecidedRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. <c>redis.internal:6379,password=...,ssl=true</c>): approvals
    /// live in Redis (<see cref="RedisApprovalStore"/>), so any sidecar of the fleet can decide them, and a request
    /// held at one sidecar is released by a decision at another. Unset: in this sidecar's memory. It may be the same
    /// string as <c>Sidecar:Revocations:Redis</c>.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>An HTTP endpoint told of approvals requested and decided (see docs/approvals.md#webhook).</summary>
    public ApprovalWebhookOptions Webhook { get; init; } = new();

    public bool IsFleet => !string.IsNullOrWhiteSpace(Redis);

    /// <summary>The fields redacted in previews: the configured ones, or the defaults.</summary>
    public IReadOnlyList<string> EffectiveRedactFields => RedactFields.Count > 0 ? RedactFields : DefaultRedactFields;
}
