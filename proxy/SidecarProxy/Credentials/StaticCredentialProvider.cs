using Microsoft.Extensions.Logging;

namespace SidecarProxy.Credentials;

/// <summary>
/// A header value read from a secret file, for tools with no better option. Not just-in-time: the audit
/// trail marks it so. Re-read at most every MaxTtl (through the broker's cache), so a rotated file is used.
/// </summary>
internal sealed class StaticCredentialProvider(
    string name,
    CredentialProviderOptions options,
    TimeProvider time,
    ILogger<StaticCredentialProvider> logger) : ICredentialProvider
{
    public string Name => name;

    public CredentialKind Kind => CredentialKind.Static;

    public string HeaderName => options.Header;

    public bool JustInTime => false;

    public TimeSpan MaxTtl => options.MaxTtl;

    public async ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        var value = await SecretFile.ReadAsync(name, options.SecretPath!, logger, cancellationToken);
        if (!HeaderValues.IsSafe(value))
        {
            throw new CredentialUnavailableException($"credential provider '{name}': secret file holds characters not allowed in a header");
        }

        return new ProviderCredential(value, time.GetUtcNow() + options.MaxTtl);
    }
}
