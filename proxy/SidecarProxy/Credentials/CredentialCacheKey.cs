using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// What a cached credential is bound to. Every part is compared exactly, so a credential is never reused for
/// another agent, task, tool, scope set, provider, resource or audience.
/// </summary>
/// <param name="Scopes">Normalized (sorted, de-duplicated) scopes joined by spaces.</param>
/// <param name="Resource">The RFC 8707 resource the token was asked for (absolute URI), or null.</param>
/// <param name="Audience">The audience the token was asked for, or null.</param>
internal sealed record CredentialCacheKey(string Provider, string SpiffeId, string? TaskId, string ToolId, string Scopes, string? Resource = null, string? Audience = null);
