using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// What the pipeline knows when it asks for a credential: who calls (from mTLS), for which task (from the
/// validated task grant), which tool (from the route) and what the policy allowed.
/// </summary>
/// <param name="SpiffeId">The agent's SPIFFE ID from its verified X.509-SVID.</param>
/// <param name="TaskId">Task id from the validated task grant, or null when the request carries none.</param>
/// <param name="TaskExpiresAt">Expiry of the task grant; no credential outlives it.</param>
/// <param name="ToolId">The tool (YARP route metadata <c>Tool</c>).</param>
/// <param name="Scopes">Scopes from the policy decision (<c>credential.scopes</c>); order does not matter.</param>
/// <param name="DecisionTtl">Lifetime the policy allowed (<c>credential.ttl_seconds</c>), or null for the provider's MaxTtl.</param>
internal sealed record CredentialRequest(
    string SpiffeId,
    string? TaskId,
    DateTimeOffset? TaskExpiresAt,
    string ToolId,
    IReadOnlyList<string> Scopes,
    TimeSpan? DecisionTtl)
{
    /// <summary>RFC 8707 <c>resource</c> the route names (<c>Metadata.CredentialResource</c>), or null.</summary>
    public Uri? Resource { get; init; }

    /// <summary>The <c>audience</c> the route names (<c>Metadata.CredentialAudience</c>), or null.</summary>
    public string? Audience { get; init; }
}
