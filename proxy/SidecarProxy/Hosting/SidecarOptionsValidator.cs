using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Dev;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Hosting;

/// <summary>Checks the whole <c>Sidecar</c> section and reports every problem at once, each with its key.</summary>
internal sealed class SidecarOptionsValidator : IValidateOptions<SidecarOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        ListenAddress.TryParse(options.Listen, "https", out var agent);
        if (agent is null)
        {
            errors.Add($"Sidecar:Listen must be an https:// URL with an IP address or localhost and a port (got '{options.Listen}')");
        }

        ListenAddress.TryParse(options.Metrics.Listen, "http", out var metrics);
        if (metrics is null)
        {
            errors.Add($"Sidecar:Metrics:Listen must be an http:// URL with an IP address or localhost and a port (got '{options.Metrics.Listen}')");
        }

        if (agent is not null && metrics is not null && agent.Port != 0 && agent.Port == metrics.Port)
        {
            errors.Add("Sidecar:Listen and Sidecar:Metrics:Listen must use different ports");
        }

        if (options.Dev.DemoUpstream is not null && !ListenAddress.TryParse(options.Dev.DemoUpstream, "http", out _))
        {
            errors.Add($"Sidecar:Dev:DemoUpstream must be an http:// URL with an IP address or localhost and a port (got '{options.Dev.DemoUpstream}')");
        }

        if (options.Admin.Listen is not null && ListenAddress.TryParse(options.Admin.Listen, "https", out var admin) && admin!.Port != 0)
        {
            foreach (var (key, url) in new[]
            {
                ("Sidecar:Listen", (string?)options.Listen),
                ("Sidecar:Metrics:Listen", options.Metrics.Listen),
                ("Sidecar:Dev:DemoUpstream", options.Dev.DemoUpstream),
            })
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var other) && other.Port == admin.Port)
                {
                    errors.Add($"Sidecar:Admin:Listen and {key} must use different ports (both use {admin.Port})");
                }
            }
        }

        ValidateIdentity(options.Identity, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateIdentity(IdentityOptions identity, List<string> errors)
    {
        if (!identity.UsesFiles)
        {
            if (string.IsNullOrWhiteSpace(identity.WorkloadApi))
            {
                errors.Add("Sidecar:Identity: no identity source; set ServerCertificate, ServerKey and TrustBundles:<trust-domain>, or WorkloadApi (SPIFFE_ENDPOINT_SOCKET)");
            }

            return;
        }

        RequireFile("Sidecar:Identity:ServerCertificate", identity.ServerCertificate, errors);
        RequireFile("Sidecar:Identity:ServerKey", identity.ServerKey, errors);
        if (identity.TrustBundles.Count == 0)
        {
            errors.Add("Sidecar:Identity:TrustBundles must name at least one trust domain (TrustBundles:<trust-domain> = PEM file)");
        }

        foreach (var (trustDomain, path) in identity.TrustBundles)
        {
            if (!TrustDomain.TryParse(trustDomain, out _, out var error))
            {
                errors.Add($"Sidecar:Identity:TrustBundles:{trustDomain} is not a valid trust domain name: {error.Message()}");
            }

            RequireFile($"Sidecar:Identity:TrustBundles:{trustDomain}", path, errors);
        }

        if (identity.PollInterval <= TimeSpan.Zero)
        {
            errors.Add("Sidecar:Identity:PollInterval must be positive");
        }

        if (identity.Debounce < TimeSpan.Zero)
        {
            errors.Add("Sidecar:Identity:Debounce must not be negative");
        }
    }

    private static void RequireFile(string key, string? path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{key} is required");
        }
        else if (!File.Exists(path))
        {
            errors.Add($"{key}: file '{path}' does not exist");
        }
    }
}
