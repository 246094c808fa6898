namespace SidecarProxy.Approvals;

/// <summary>
/// <c>Sidecar:Approvals:Webhook</c>: where <c>approval.requested</c> and <c>approval.decided</c> events are POSTed,
/// signed with HMAC-SHA256. Delivery is in the background: a failing webhook never blocks or decides an approval.
/// </summary>
internal sealed record ApprovalWebhookOptions
{
    /// <summary>Most attempts allowed for one event.</summary>
    public const int MaxAttemptsLimit = 10;

    /// <summary>The endpoint, an absolute http(s) URL. Unset: no webhook.</summary>
    public Uri? Url { get; init; }

    /// <summary>A file holding the signing secret (trimmed; at least 16 characters). Required with <see cref="Url"/>; read on each delivery, so it can be rotated.</summary>
    public string? SecretPath { get; init; }

    /// <summary>How long one attempt may take [00:00:05].</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per event, the first included (1-10) [3].</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the second attempt; doubled before each further one [00:00:01].</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Events waiting for delivery at most; beyond it new events are dropped and counted [1000].</summary>
    public int QueueCapacity { get; init; } = 1000;

    public bool Enabled => Url is not null;
}
