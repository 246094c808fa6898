namespace SidecarProxy.Credentials;

/// <summary>
/// A cache entry removed because its agent or task was revoked: its key and its credential, which may still be
/// being fetched (the task then completes, or faults, when the fetch ends). Holds a token: never log it.
/// </summary>
internal sealed record PurgedCredential(CredentialCacheKey Key, Task<ProviderCredential> Credential);
