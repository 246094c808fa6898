using System.Text.Json.Serialization;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>What a revocation record applies to. Values are the API's <c>subject.kind</c>.</summary>
internal static class SubjectKinds
{
    public const string SpiffeId = "spiffe_id";
    public const string SpiffeIdPrefix = "spiffe_id_prefix";
    public const string Task = "task";
    public const string TrustDomain = "trust_domain";

    public static readonly IReadOnlyList<string> All = [SpiffeId, SpiffeIdPrefix, Task, TrustDomain];
}

/// <summary>What a matching record does. Values are the API's <c>action</c>.</summary>
internal static class RevocationActions
{
    /// <summary>Every request is refused with 403 <c>revoked</c>; open connections are closed.</summary>
    public const string Revoke = "revoke";

    /// <summary>Requests still reach the policy, with <c>input.containment</c> set.</summary>
    public const string Quarantine = "quarantine";

    public static readonly IReadOnlyList<string> All = [Revoke, Quarantine];
}

internal sealed record RevocationSubject(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("value")] string Value)
{
    public override string ToString() => Kind + ":" + Value;
}

/// <summary>One stored revocation or quarantine (the API's and the state file's shape).</summary>
internal sealed record RevocationRecord
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("subject")]
    public required RevocationSubject Subject { get; init; }

    [JsonPropertyName("action")]
    public required string Action { get; init; }

    [JsonPropertyName("reason")]
    public required string Reason { get; init; }

    [JsonPropertyName("created_at")]
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>SPIFFE ID of the admin caller (or <c>state-file</c> for records of unknown origin).</summary>
    [JsonPropertyName("created_by")]
    public required string CreatedBy { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsActive(DateTimeOffset now) => ExpiresAt is not { } expires || now < expires;
}


/// <summary>The outcome of a revocation check: refused, quarantined, or neither.</summary>
internal readonly record struct RevocationVerdict(RevocationRecord? Revoked, RevocationRecord? Quarantined)
{
    public static RevocationVerdict None => default;

    public bool IsRevoked => Revoked is not null;

    public ContainmentState? Containment => Quarantined is { } q
        ? new ContainmentState("quarantined", q.Reason, q.CreatedAt, q.Id)
        : null;
}
