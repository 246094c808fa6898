using Microsoft.Extensions.Options;
using SidecarProxy.Admin;
using SidecarProxy.Configuration;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Signals;

/// <summary>Checks <c>Sidecar:Admin:Transmitters</c>; every error names its key.</summary>
internal sealed class TransmitterOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var transmitters = options.Transmitters;
        if (transmitters.Count > 0 && options.Listen is null)
        {
            errors.Add("Sidecar:Admin:Transmitters needs Sidecar:Admin:Listen: SETs are pushed to the admin listener");
        }

        var issuers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < transmitters.Count; i++)
        {
            var t = transmitters[i];
            var p = $"Sidecar:Admin:Transmitters:{i}";
            if (string.IsNullOrWhiteSpace(t.Issuer))
            {
                errors.Add($"{p}:Issuer is required");
            }
            else if (!issuers.Add(t.Issuer))
            {
                errors.Add($"{p}:Issuer '{t.Issuer}' is configured twice");
            }

            if (string.IsNullOrWhiteSpace(t.Audience))
            {
                errors.Add($"{p}:Audience is required (the aud this sidecar expects in the transmitter's SETs)");
            }

            var hasPath = !string.IsNullOrWhiteSpace(t.JwksPath);
            if (hasPath == (t.JwksUrl is not null))
            {
                errors.Add($"{p}: set exactly one of JwksPath and JwksUrl");
            }
            else if (hasPath && !File.Exists(t.JwksPath))
            {
                errors.Add($"{p}:JwksPath: file '{t.JwksPath}' does not exist");
            }
            else if (t.JwksUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
            {
                errors.Add($"{p}:JwksUrl must be an absolute http(s) URL");
            }

            if (t.SpiffeId is not null && AdminPrincipalPattern.TryCreate(t.SpiffeId, out var error) is null)
            {
                errors.Add($"{p}:SpiffeId {error}");
            }

            if (t.MaxEventAge <= TimeSpan.Zero || t.MaxEventAge > TimeSpan.FromDays(1))
            {
                errors.Add($"{p}:MaxEventAge must be positive and at most one day");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
