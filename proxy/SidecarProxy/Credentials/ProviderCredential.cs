using System.Text;

namespace SidecarProxy.Credentials;

/// <summary>What a provider returns: the header value and when it expires. Redacted in <see cref="ToString"/>.</summary>
internal sealed record ProviderCredential(string HeaderValue, DateTimeOffset ExpiresAt)
{
    /// <summary>Computed once per credential, not once per cache hit.</summary>
    public string Fingerprint { get; } = CredentialFingerprint.Of(HeaderValue);

    /// <summary>
    /// The bare access token an issuer handed out (oauth2_client_credentials, token_exchange), kept so that it can be
    /// revoked there (RFC 7009) when its agent or task is revoked; null for credentials no issuer can revoke.
    /// </summary>
    public string? AccessToken { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("HeaderValue = [redacted], AccessToken = [redacted], ExpiresAt = ").Append(ExpiresAt.ToString("O"));
        return true;
    }
}
