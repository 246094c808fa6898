using Microsoft.Extensions.Configuration;

namespace SidecarProxy.Credentials;

/// <summary>
/// Reads <c>Sidecar:Credentials</c>. Done by hand because the section mixes provider names with the
/// <c>StripHeaders</c> key, a shape the configuration binder cannot map onto one type.
/// </summary>
internal static class CredentialsOptionsBinder
{
    public static void Bind(IConfiguration configuration, CredentialsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(CredentialsOptions.SectionName);
        foreach (var child in section.GetChildren())
        {
            if (string.Equals(child.Key, CredentialsOptions.CacheMaxEntriesKey, StringComparison.OrdinalIgnoreCase))
            {
                // Checked against its type at start-up (ConfigurationSchema); a bad value never gets here.
                if (!string.IsNullOrEmpty(child.Value))
                {
                    options.CacheMaxEntries = child.Get<int>();
                }

                continue;
            }

            if (string.Equals(child.Key, CredentialsOptions.StripHeadersKey, StringComparison.OrdinalIgnoreCase))
            {
                options.StripHeaders.AddRange(ReadList(child));
                continue;
            }

            options.Providers[child.Key] = child.Get<CredentialProviderOptions>() ?? new CredentialProviderOptions();
        }
    }

    // Accepts both an array (StripHeaders:0=X-Api-Key) and a comma-separated string (handy in env vars).
    private static IEnumerable<string> ReadList(IConfigurationSection section)
    {
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return section.GetChildren()
            .Select(c => c.Value?.Trim())
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!);
    }
}
