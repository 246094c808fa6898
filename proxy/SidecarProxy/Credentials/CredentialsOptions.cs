namespace SidecarProxy.Credentials;

/// <summary>
/// Everything under <c>Sidecar:Credentials</c>: the named providers, plus <c>StripHeaders</c> (extra inbound
/// header names to remove), which is therefore not usable as a provider name.
/// </summary>
internal sealed record CredentialsOptions
{
    public const string SectionName = "Sidecar:Credentials";

    /// <summary>A key under <see cref="SectionName"/> that is not a provider.</summary>
    public const string StripHeadersKey = "StripHeaders";

    /// <summary>A key under <see cref="SectionName"/> that is not a provider.</summary>
    public const string CacheMaxEntriesKey = "CacheMaxEntries";

    /// <summary>
    /// Providers by name; names compare case-insensitively, as configuration keys do. They are the section's own
    /// children (<c>Sidecar:Credentials:&lt;name&gt;</c>), not a <c>Providers</c> key.
    /// </summary>
    [SidecarProxy.Configuration.NotAConfigurationKey]
    public Dictionary<string, CredentialProviderOptions> Providers { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Inbound headers to remove besides the built-in credential headers and each provider's header.</summary>
    public List<string> StripHeaders { get; init; } = [];

    /// <summary>Upper bound on cached credentials; beyond it the soonest-expiring entries are evicted.</summary>
    public int CacheMaxEntries { get; set; } = 10_000;
}
