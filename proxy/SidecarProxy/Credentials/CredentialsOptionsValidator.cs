using Microsoft.Extensions.Options;

namespace SidecarProxy.Credentials;

/// <summary>
/// Checks every provider and reports every problem at once, so an operator fixes a bad configuration in one
/// round instead of one error per restart.
/// </summary>
internal sealed class CredentialsOptionsValidator : IValidateOptions<CredentialsOptions>
{
    public ValidateOptionsResult Validate(string? name, CredentialsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Collect(CredentialsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var header in options.StripHeaders)
        {
            if (!HttpToken.IsValid(header))
            {
                errors.Add($"{CredentialsOptions.SectionName}:{CredentialsOptions.StripHeadersKey}: '{header}' is not a valid header name.");
            }
        }

        if (options.CacheMaxEntries < 1)
        {
            errors.Add($"{CredentialsOptions.SectionName}: CacheMaxEntries must be at least 1.");
        }

        foreach (var (providerName, provider) in options.Providers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            ValidateProvider($"{CredentialsOptions.SectionName}:{providerName}", provider, errors);
        }

        return errors;
    }

    private static void ValidateProvider(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (!HttpToken.IsValid(o.Header))
        {
            errors.Add($"{prefix}:Header: '{o.Header}' is not a valid header name.");
        }

        if (!string.IsNullOrEmpty(o.Scheme) && !HttpToken.IsValid(o.Scheme))
        {
            errors.Add($"{prefix}:Scheme: '{o.Scheme}' is not a valid authentication scheme.");
        }

        if (o.MaxTtl <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:MaxTtl must be positive.");
        }

        if (o.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:Timeout must be positive.");
        }

        if (!CredentialKindNames.TryParse(o.Kind, out var kind))
        {
            errors.Add(string.IsNullOrWhiteSpace(o.Kind)
                ? $"{prefix}:Kind is required (jwt, oauth2_client_credentials, token_exchange, static)."
                : $"{prefix}:Kind '{o.Kind}' is unknown (jwt, oauth2_client_credentials, token_exchange, static).");
            return;
        }

        switch (kind)
        {
            case CredentialKind.Jwt:
                ValidateJwt(prefix, o, errors);
                RefuseRevocationEndpoint(prefix, o, errors);
                break;
            case CredentialKind.OAuth2ClientCredentials:
                RequireTokenEndpoint(prefix, o, errors);
                ValidateRevocationEndpoint(prefix, o, errors);
                if (string.IsNullOrWhiteSpace(o.ClientId))
                {
                    errors.Add($"{prefix}:ClientId is required.");
                }

                RequireFile(prefix, "ClientSecretPath", o.ClientSecretPath, errors);
                if (o.Resource is not null && !o.Resource.IsAbsoluteUri)
                {
                    errors.Add($"{prefix}:Resource must be an absolute URI.");
                }

                ValidateClientAuthentication(prefix, o, errors);
                ValidateScopes(prefix, o, errors);
                break;
            case CredentialKind.TokenExchange:
                RequireTokenEndpoint(prefix, o, errors);
                ValidateRevocationEndpoint(prefix, o, errors);
                if (!string.IsNullOrWhiteSpace(o.ClientId) || o.ClientSecretPath is not null)
                {
                    if (string.IsNullOrWhiteSpace(o.ClientId))
                    {
                        errors.Add($"{prefix}:ClientId is required when ClientSecretPath is set.");
                    }

                    RequireFile(prefix, "ClientSecretPath", o.ClientSecretPath, errors);
                }

                if (o.Resource is not null && !o.Resource.IsAbsoluteUri)
                {
                    errors.Add($"{prefix}:Resource must be an absolute URI.");
                }

                ValidateClientAuthentication(prefix, o, errors);
                ValidateScopes(prefix, o, errors);
                break;
            case CredentialKind.Static:
                RequireFile(prefix, "SecretPath", o.SecretPath, errors);
                RefuseRevocationEndpoint(prefix, o, errors);
                break;
        }
    }

    private static void ValidateJwt(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (o.SigningKeyPath is null)
        {
            if (o.KeyRotationInterval <= TimeSpan.Zero)
            {
                errors.Add($"{prefix}:KeyRotationInterval must be positive.");
            }

            return;
        }

        if (RequireFile(prefix, "SigningKeyPath", o.SigningKeyPath, errors)
            && SigningKeyRing.TryLoadPem(o.SigningKeyPath, out var problem) is null)
        {
            errors.Add($"{prefix}:SigningKeyPath: {problem}");
        }
    }

    private static void ValidateRevocationEndpoint(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (o.RevocationEndpoint is not null
            && (!o.RevocationEndpoint.IsAbsoluteUri
                || (o.RevocationEndpoint.Scheme != Uri.UriSchemeHttps && o.RevocationEndpoint.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add($"{prefix}:RevocationEndpoint must be an absolute http(s) URL.");
        }
    }

    // The sidecar mints jwt credentials itself and static secrets are not tokens: there is no issuer to revoke at.
    private static void RefuseRevocationEndpoint(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (o.RevocationEndpoint is not null)
        {
            errors.Add($"{prefix}:RevocationEndpoint applies only to oauth2_client_credentials and token_exchange.");
        }
    }

    private static void RequireTokenEndpoint(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (o.TokenEndpoint is null)
        {
            errors.Add($"{prefix}:TokenEndpoint is required.");
        }
        else if (!o.TokenEndpoint.IsAbsoluteUri
            || (o.TokenEndpoint.Scheme != Uri.UriSchemeHttps && o.TokenEndpoint.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{prefix}:TokenEndpoint must be an absolute http(s) URL.");
        }
    }

    private static void ValidateClientAuthentication(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        if (!ClientAuthentication.TryParse(o.ClientAuthentication, out _))
        {
            errors.Add($"{prefix}:ClientAuthentication '{o.ClientAuthentication}' is unknown (basic, post).");
        }
    }

    private static void ValidateScopes(string prefix, CredentialProviderOptions o, List<string> errors)
    {
        foreach (var scope in o.Scopes)
        {
            if (!ScopeSet.IsValidScope(scope))
            {
                errors.Add($"{prefix}:Scopes: '{scope}' is not a valid scope token.");
            }
        }
    }

    private static bool RequireFile(string prefix, string key, string? path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{prefix}:{key} is required.");
            return false;
        }

        if (!File.Exists(path))
        {
            errors.Add($"{prefix}:{key}: file '{path}' does not exist.");
            return false;
        }

        return true;
    }
}
