namespace SidecarProxy.Revocation;

/// <summary><c>Sidecar:Revocations</c>: where the revocation list is kept, and how it is shared with a fleet.</summary>
internal sealed record RevocationOptions
{
    public const string SectionName = "Sidecar:Revocations";

    /// <summary><see cref="OnStale"/>: keep serving agents with the revocations known locally (the default).</summary>
    public const string OnStaleServe = "serve";

    /// <summary><see cref="OnStale"/>: refuse agent requests with 503 <c>revocations_stale</c>.</summary>
    public const string OnStaleDeny = "deny";

    public static readonly IReadOnlyList<string> OnStaleValues = [OnStaleServe, OnStaleDeny];

    /// <summary>
    /// JSON file holding the revocations, reloaded at start-up before the agent listener opens. Without it the
    /// revocations live in memory only and are lost on restart. With <see cref="Redis"/> it is the local cache of
    /// the fleet's set (a sidecar starting while Redis is down enforces what it knew).
    /// </summary>
    public string? StatePath { get; init; }

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. <c>redis.internal:6379,password=...,ssl=true</c>): every
    /// revocation is written to Redis and announced to every sidecar of the fleet. Unset: this sidecar only.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// How long since the last successful sync with Redis (a reconcile or a heartbeat) before the revocation list
    /// counts as stale: <c>/readyz</c> reports degraded, <c>sidecar_revocation_store_staleness_seconds</c> passes
    /// <c>sidecar_revocation_store_max_staleness_seconds</c>, and <see cref="OnStale"/> applies.
    /// </summary>
    public TimeSpan MaxStaleness { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What a stale sidecar does with agent requests: <c>serve</c> (default) or <c>deny</c> (503 <c>revocations_stale</c>).</summary>
    public string OnStale { get; init; } = OnStaleServe;

    public bool IsFleet => !string.IsNullOrWhiteSpace(Redis);
}
