using SidecarProxy.Credentials;
using SidecarProxy.Model;

namespace SidecarProxy.Audit;

internal static class AuditRecordExtensions
{
    /// <summary>Adds what the trail keeps of an issued credential: provider, fingerprint, TTL, cache hit; never the value.</summary>
    public static AuditRecord WithCredential(this AuditRecord record, CredentialIssue credential, IReadOnlyList<string> scopes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(credential);
        return record with
        {
            CredentialProvider = credential.ProviderName,
            CredentialKind = credential.ProviderKind,
            CredentialFingerprint = credential.Fingerprint,
            CredentialJustInTime = credential.JustInTime,
            Scopes = scopes,
            TtlSeconds = Math.Max(0, Math.Round((credential.ExpiresAt - now).TotalSeconds, 3)),
            CacheHit = credential.CacheHit,
        };
    }
}
