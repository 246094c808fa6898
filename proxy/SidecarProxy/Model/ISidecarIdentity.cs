using SidecarProxy.Spiffe;

namespace SidecarProxy.Model;

/// <summary>The sidecar's own SPIFFE ID: the default <c>iss</c> of the tokens it mints.</summary>
internal interface ISidecarIdentity
{
    /// <summary>The ID, or null while the sidecar's SVID is not loaded yet.</summary>
    string? SpiffeId { get; }
}
