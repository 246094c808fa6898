using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// The single entry point of the request pipeline for credentials: picks the provider the route names,
/// serves from the cache or fetches, and returns the header to inject with what the audit trail needs.
/// </summary>
internal sealed class CredentialBroker(
    CredentialProviderRegistry providers,
    CredentialCache cache,
    TimeProvider time,
    ILogger<CredentialBroker> logger)
{
    /// <summary>For config-time validation of route metadata.</summary>
    public bool HasProvider(string providerName) => providers.TryGet(providerName, out _);

    /// <summary>
    /// A credential for <paramref name="request"/> from provider <paramref name="providerName"/>.
    /// Throws <see cref="CredentialUnavailableException"/> (safe message, status hint) when none can be had.
    /// </summary>
    public async ValueTask<IssuedCredential> GetAsync(string providerName, CredentialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!providers.TryGet(providerName, out var provider))
        {
            CredentialLog.UnknownProvider(logger, providerName);
            throw new CredentialUnavailableException($"credential provider '{providerName}' is not configured", CredentialFailure.UnknownProvider);
        }

        try
        {
            var scopes = ScopeSet.Normalize(request.Scopes);
            var normalized = ReferenceEquals(scopes, request.Scopes) ? request : request with { Scopes = scopes };
            var limit = CredentialLifetime.Limit(time.GetUtcNow(), normalized, provider.MaxTtl);
            var key = new CredentialCacheKey(provider.Name, normalized.SpiffeId, normalized.TaskId, normalized.ToolId, ScopeSet.Join(normalized.Scopes),
                normalized.Resource?.AbsoluteUri, normalized.Audience);
            var (credential, hit) = cache.TryGetUsable(key, limit, out var cached)
                ? (cached, true)
                : await GetOrFetchAsync(provider, normalized, key, limit, cancellationToken);
            var fingerprint = credential.Fingerprint;
            if (!hit)
            {
                CredentialLog.CredentialIssued(logger, provider.Name, provider.Kind, request.SpiffeId, request.TaskId, request.ToolId, fingerprint, credential.ExpiresAt);
            }

            return new IssuedCredential(provider.HeaderName, credential.HeaderValue, credential.ExpiresAt, fingerprint,
                provider.JustInTime, hit, provider.Name, provider.Kind);
        }
        catch (CredentialUnavailableException ex)
        {
            CredentialLog.CredentialFailed(logger, provider.Name, request.SpiffeId, request.TaskId, request.ToolId, ex.Code);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Unexpected: fail closed, and keep the original (which might quote key material) out of the message.
            CredentialLog.CredentialFailed(logger, provider.Name, request.SpiffeId, request.TaskId, request.ToolId, ex.GetType().Name);
            throw new CredentialUnavailableException($"credential provider '{provider.Name}' failed");
        }
    }

    // Its own method so that the fetch delegate (a closure) is only allocated when the cache has no usable credential.
    private ValueTask<(ProviderCredential Credential, bool CacheHit)> GetOrFetchAsync(
        ICredentialProvider provider, CredentialRequest request, CredentialCacheKey key, DateTimeOffset limit, CancellationToken cancellationToken) =>
        cache.GetOrFetchAsync(key, limit, ct => provider.IssueAsync(request, ct), cancellationToken);

    /// <summary>Forgets every cached credential of an agent (identity revoked).</summary>
    public int DropIdentity(string spiffeId)
    {
        var count = cache.RemoveIdentity(spiffeId);
        CredentialLog.CacheDropped(logger, count, "identity", spiffeId);
        return count;
    }

    /// <summary>Forgets every cached credential of a task (task revoked).</summary>
    public int DropTask(string taskId)
    {
        var count = cache.RemoveTask(taskId);
        CredentialLog.CacheDropped(logger, count, "task", taskId);
        return count;
    }
}
