using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;

namespace SidecarProxy.Admin;

/// <summary>Checks <c>Sidecar:Admin</c> and <c>Sidecar:Revocations</c>; every error names its key.</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<SidecarOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var admin = options.Admin;
        if (admin.Listen is not null)
        {
            if (!ListenAddress.TryParse(admin.Listen, "https", out var address))
            {
                errors.Add($"Sidecar:Admin:Listen must be an https:// URL with an IP address or localhost and a port (got '{admin.Listen}')");
            }
            else if (address!.Port != 0)
            {
                foreach (var (key, url) in new[]
                {
                    ("Sidecar:Listen", (string?)options.Listen),
                    ("Sidecar:Metrics:Listen", options.Metrics.Listen),
                    ("Sidecar:Dev:DemoUpstream", options.Dev.DemoUpstream),
                })
                {
                    if (Uri.TryCreate(url, UriKind.Absolute, out var other) && other.Port == address.Port)
                    {
                        errors.Add($"Sidecar:Admin:Listen and {key} must use different ports (both use {address.Port})");
                    }
                }
            }

            if (admin.Principals.Count == 0)
            {
                errors.Add("Sidecar:Admin:Principals must name at least one principal when Sidecar:Admin:Listen is set");
            }
        }

        for (var i = 0; i < admin.Principals.Count; i++)
        {
            var principal = admin.Principals[i];
            if (AdminPrincipalPattern.TryCreate(principal.Id, out var error) is null)
            {
                errors.Add($"Sidecar:Admin:Principals:{i}:Id {error}");
            }

            if (principal.Roles.Count == 0)
            {
                errors.Add($"Sidecar:Admin:Principals:{i}:Roles must name at least one role ({string.Join(", ", AdminRoles.All)})");
            }

            for (var j = 0; j < principal.Roles.Count; j++)
            {
                if (!AdminRoles.IsValid(principal.Roles[j]))
                {
                    errors.Add($"Sidecar:Admin:Principals:{i}:Roles:{j} '{principal.Roles[j]}' is not a role ({string.Join(", ", AdminRoles.All)}, approve:<group>)");
                }
            }
        }

        var statePath = options.Revocations.StatePath;
        if (statePath is not null)
        {
            var directory = string.IsNullOrWhiteSpace(statePath) ? null : Path.GetDirectoryName(Path.GetFullPath(statePath));
            if (directory is null || !Directory.Exists(directory))
            {
                errors.Add($"Sidecar:Revocations:StatePath: the directory of '{statePath}' does not exist");
            }
            else if (Directory.Exists(statePath))
            {
                errors.Add($"Sidecar:Revocations:StatePath: '{statePath}' is a directory; name a file");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
