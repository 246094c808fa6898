using System.Collections.Frozen;

namespace SidecarProxy.Credentials;

/// <summary>
/// Inbound headers that may carry a credential and must be removed before policy input is built and before
/// forwarding, so the agent can neither smuggle its own credential to a tool nor show one to the policy.
/// </summary>
internal static class CredentialHeaders
{
    public static IReadOnlyList<string> Always { get; } = ["Authorization", "Proxy-Authorization", "Cookie"];

    /// <summary>The built-in names, each provider's header and <c>Sidecar:Credentials:StripHeaders</c>; case-insensitive.</summary>
    public static FrozenSet<string> ToStrip(CredentialsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Always
            .Concat(options.Providers.Values.Select(p => p.Header))
            .Concat(options.StripHeaders)
            .Where(h => !string.IsNullOrWhiteSpace(h))
            .ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
