using System.Text;
using SidecarProxy.Model;

namespace SidecarProxy.Credentials;

/// <summary>
/// The header the pipeline injects, plus what the audit trail records about it. <see cref="HeaderValue"/>
/// is the only place the secret lives; <see cref="ToString"/> redacts it.
/// </summary>
/// <param name="HeaderName">Header to set on the forwarded request (e.g. <c>Authorization</c>).</param>
/// <param name="HeaderValue">The full header value (scheme included). Secret: never log it.</param>
/// <param name="ExpiresAt">When the credential itself stops being valid.</param>
/// <param name="Fingerprint"><c>sha256:</c> + hex prefix of SHA-256 of <see cref="HeaderValue"/>, for the audit trail.</param>
/// <param name="JustInTime">False for <c>static</c> providers, whose secret is long-lived.</param>
/// <param name="CacheHit">True when no call to the credential source was made for this request.</param>
/// <param name="ProviderName">Configured provider name (<c>Sidecar:Credentials:&lt;name&gt;</c>).</param>
/// <param name="ProviderKind">Kind of that provider.</param>
internal sealed record IssuedCredential(
    string HeaderName,
    string HeaderValue,
    DateTimeOffset ExpiresAt,
    string Fingerprint,
    bool JustInTime,
    bool CacheHit,
    string ProviderName,
    CredentialKind ProviderKind)
{
    /// <summary>What the audit trail may keep of this credential: everything but its value.</summary>
    public CredentialIssue ToIssue() =>
        new(ProviderName, CredentialKindNames.ToName(ProviderKind), Fingerprint, JustInTime, CacheHit, ExpiresAt);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("HeaderName = ").Append(HeaderName)
            .Append(", HeaderValue = [redacted], ExpiresAt = ").Append(ExpiresAt.ToString("O"))
            .Append(", Fingerprint = ").Append(Fingerprint)
            .Append(", JustInTime = ").Append(JustInTime)
            .Append(", CacheHit = ").Append(CacheHit)
            .Append(", ProviderName = ").Append(ProviderName)
            .Append(", ProviderKind = ").Append(ProviderKind);
        return true;
    }
}
