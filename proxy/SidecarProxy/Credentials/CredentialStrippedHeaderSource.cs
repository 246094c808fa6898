using Microsoft.Extensions.Options;
using SidecarProxy.Routing;

namespace SidecarProxy.Credentials;

/// <summary>
/// Feeds the credential strip set (built-in credential headers, each provider's header and
/// <c>Sidecar:Credentials:StripHeaders</c>) into <see cref="StrippedHeaders"/>, so these headers are removed
/// on every tool route, whether or not the tool has a provider.
/// </summary>
internal sealed class CredentialStrippedHeaderSource(IOptions<CredentialsOptions> options) : IStrippedHeaderSource
{
    public IEnumerable<string> HeaderNames => CredentialHeaders.ToStrip(options.Value);
}
