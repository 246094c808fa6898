namespace SidecarProxy.Identity;

/// <summary>
/// Registered when no identity source is: it never has material, so no handshake can succeed, and start-up
/// reports it (<c>SidecarApplication</c>) after the configuration errors that explain why.
/// </summary>
internal sealed class UnavailableIdentityMaterialSource : IIdentityMaterialSource
{
    public IdentityMaterial? Current => null;

    public event Action<IdentityMaterial>? Changed
    {
        add { }
        remove { }
    }
}
