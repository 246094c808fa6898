using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;

namespace SidecarProxy.Approvals;

/// <summary>
/// Lists every problem of <c>Sidecar:Approvals:Oidc</c> at once; each error names its key and never a secret. The admin
/// listener is read from configuration, not from <c>IOptions&lt;AdminOptions&gt;</c>, whose own validation failures
/// would otherwise be reported a second time through this validator.
/// </summary>
internal sealed class OidcOptionsValidator(IConfiguration configuration) : IValidateOptions<OidcOptions>
{
    public ValidateOptionsResult Validate(string? name, OidcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string p = OidcOptions.SectionName;
        var errors = new List<string>();
        if (options.Authority is not { } authority)
        {
            if (options.ClientId is not null || options.ClientSecret is not null || options.ClientSecretFile is not null)
            {
                errors.Add($"{p}:Authority is required when {p} is configured (without it people cannot log in to the console)");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        if (!authority.IsAbsoluteUri || !(authority.Scheme == Uri.UriSchemeHttps || OidcOptions.IsLoopbackHttp(authority))
            || !string.IsNullOrEmpty(authority.Query) || !string.IsNullOrEmpty(authority.Fragment) || !string.IsNullOrEmpty(authority.UserInfo))
        {
            errors.Add($"{p}:Authority must be an absolute https URL (http only on a loopback address) without query, fragment or user info (got '{authority}')");
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            errors.Add($"{p}:ClientId is required with {p}:Authority");
        }

        if (options.ClientSecret is not null && options.ClientSecretFile is not null)
        {
            errors.Add($"{p}:ClientSecret and {p}:ClientSecretFile are exclusive: set one");
        }
        else if (options.ClientSecretFile is { } file && !OidcClientSecret.TryRead(file, out _, out var problem))
        {
            errors.Add($"{p}:ClientSecretFile: {problem}");
        }
        else if (options.ClientSecret is { } secret && string.IsNullOrWhiteSpace(secret))
        {
            errors.Add($"{p}:ClientSecret must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.RolesClaim))
        {
            errors.Add($"{p}:RolesClaim must name an id_token claim");
        }

        for (var i = 0; i < options.Scopes.Count; i++)
        {
            var scope = options.Scopes[i];
            if (string.IsNullOrWhiteSpace(scope) || scope.Any(c => c <= ' ' || c == '"' || c == '\\' || c > '~'))
            {
                errors.Add($"{p}:Scopes:{i} must be one scope token (printable ASCII, no space, quote or backslash)");
            }
        }

        if (options.SessionLifetime < TimeSpan.FromMinutes(1) || options.SessionLifetime > TimeSpan.FromHours(24))
        {
            errors.Add($"{p}:SessionLifetime must be between 00:01:00 and 1.00:00:00 (got {options.SessionLifetime})");
        }

        if (string.IsNullOrEmpty(configuration[AdminOptions.SectionName + ":" + nameof(AdminOptions.Listen)]))
        {
            errors.Add($"{p}:Authority needs Sidecar:Admin:Listen: the console is served on the admin listener");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
