using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;

namespace SidecarProxy.Admin;

/// <summary>Checks <c>Sidecar:Admin</c>; every error names its key. Port clashes with the other listeners are checked with them (<c>SidecarOptionsValidator</c>).</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var admin = options;
        if (admin.Listen is not null)
        {
            if (!ListenAddress.TryParse(admin.Listen, "https", out _))
            {
                errors.Add($"Sidecar:Admin:Listen must be an https:// URL with an IP address or localhost and a port (got '{admin.Listen}')");
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

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
