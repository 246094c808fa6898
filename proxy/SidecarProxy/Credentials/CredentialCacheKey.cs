using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// What a cached credential is bound to. Every part is compared exactly, so a credential is never reused for
/// another agent, task, tool, scope set or provider.
/// </summary>
/// <param name="Scopes">Normalized (sorted, de-duplicated) scopes joined by spaces.</param>
internal sealed record CredentialCacheKey(string Provider, string SpiffeId, string? TaskId, string ToolId, string Scopes);
