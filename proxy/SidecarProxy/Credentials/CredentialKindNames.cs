using System.Diagnostics.CodeAnalysis;

namespace SidecarProxy.Credentials;

/// <summary>The configuration spelling of each <see cref="CredentialKind"/> (<c>Sidecar:Credentials:&lt;name&gt;:Kind</c>).</summary>
internal static class CredentialKindNames
{
    public const string Jwt = "jwt";
    public const string OAuth2ClientCredentials = "oauth2_client_credentials";
    public const string TokenExchange = "token_exchange";
    public const string Static = "static";

    public static bool TryParse(string? value, [NotNullWhen(true)] out CredentialKind? kind)
    {
        kind = value?.Trim().ToLowerInvariant() switch
        {
            Jwt => CredentialKind.Jwt,
            OAuth2ClientCredentials => CredentialKind.OAuth2ClientCredentials,
            TokenExchange => CredentialKind.TokenExchange,
            Static => CredentialKind.Static,
            _ => null,
        };
        return kind is not null;
    }

    public static string ToName(CredentialKind kind) => kind switch
    {
        CredentialKind.Jwt => Jwt,
        CredentialKind.OAuth2ClientCredentials => OAuth2ClientCredentials,
        CredentialKind.TokenExchange => TokenExchange,
        CredentialKind.Static => Static,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
