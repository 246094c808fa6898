using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>No serving SVID known: the default <c>iss</c> of minted tokens is then unavailable.</summary>
internal sealed class NoSidecarIdentity : ISidecarIdentity
{
    public string? SpiffeId => null;
}
