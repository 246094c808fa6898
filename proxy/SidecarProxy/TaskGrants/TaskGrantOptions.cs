namespace SidecarProxy.TaskGrants;

/// <summary>
/// <c>Sidecar:TaskGrants</c>: how the orchestrator's task grants are verified. With neither JwksPath nor
/// JwksUrl, grants cannot be verified and any grant sent is rejected.
/// </summary>
internal sealed record TaskGrantOptions
{
    public const string SectionName = "Sidecar:TaskGrants";

    /// <summary>Expected <c>iss</c>; required when keys are configured.</summary>
    public string? Issuer { get; init; }

    /// <summary>Optional expected <c>aud</c>; not checked when unset.</summary>
    public string? Audience { get; init; }

    /// <summary>JWKS file with the orchestrator's public keys; reloaded when it changes.</summary>
    public string? JwksPath { get; init; }

    /// <summary>JWKS URL with the orchestrator's public keys; cached and refreshed.</summary>
    public Uri? JwksUrl { get; init; }

    /// <summary>Whether every request must carry a grant [false].</summary>
    public bool Required { get; init; }

    /// <summary>Tolerated clock difference for <c>exp</c> and <c>nbf</c> [00:00:30].</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long keys fetched from JwksUrl are used before refetching [00:05:00].</summary>
    public TimeSpan JwksRefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Shortest gap between two fetches forced by an unknown key id [00:00:30].</summary>
    public TimeSpan JwksMinimumRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of one JWKS fetch [00:00:05].</summary>
    public TimeSpan JwksTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest grant accepted in the header, in characters [16384].</summary>
    public int MaxGrantLength { get; init; } = 16 * 1024;
}
