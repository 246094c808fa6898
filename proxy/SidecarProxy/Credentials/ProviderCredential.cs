using System.Text;

namespace SidecarProxy.Credentials;

/// <summary>What a provider returns: the header value and when it expires. Redacted in <see cref="ToString"/>.</summary>
internal sealed record ProviderCredential(string HeaderValue, DateTimeOffset ExpiresAt)
{
    /// <summary>Computed once per credential, not once per cache hit.</summary>
    public string Fingerprint { get; } = CredentialFingerprint.Of(HeaderValue);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("HeaderValue = [redacted], ExpiresAt = ").Append(ExpiresAt.ToString("O"));
        return true;
    }
}
