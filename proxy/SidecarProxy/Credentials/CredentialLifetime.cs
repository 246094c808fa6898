namespace SidecarProxy.Credentials;

/// <summary>The latest moment a credential for a request may be used: the tightest of MaxTtl, the decision's TTL and the task's expiry.</summary>
internal static class CredentialLifetime
{
    public static DateTimeOffset Limit(DateTimeOffset now, CredentialRequest request, TimeSpan maxTtl)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = now + maxTtl;
        if (request.DecisionTtl is { } ttl && now + ttl < limit)
        {
            limit = now + ttl;
        }

        if (request.TaskExpiresAt is { } taskEnd && taskEnd < limit)
        {
            limit = taskEnd;
        }

        if (limit <= now)
        {
            throw new CredentialUnavailableException("the task or the decision allows no credential lifetime");
        }

        return limit;
    }

    /// <summary>JWT times are whole seconds; round down so the reported expiry equals the token's <c>exp</c>.</summary>
    public static DateTimeOffset ToWholeSeconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());
}
