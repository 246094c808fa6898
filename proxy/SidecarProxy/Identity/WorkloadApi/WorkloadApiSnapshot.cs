using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// One applied Workload API message: the material handed to consumers plus what readiness and logs need,
/// swapped as a single reference so readers never see parts of two updates.
/// </summary>
/// <param name="Material">Serving certificate, intermediates and bundles per trust domain.</param>
/// <param name="SpiffeId">The sidecar's own SPIFFE ID (the default, first, SVID).</param>
/// <param name="Fingerprint">"sha256:" + hex of the leaf's DER, for logs.</param>
/// <param name="NotBefore">Start of the leaf's validity.</param>
/// <param name="NotAfter">End of the leaf's validity.</param>
/// <param name="Revision">Fingerprints of everything in the material; equal revisions carry equal content.</param>
internal sealed record WorkloadApiSnapshot(
    IdentityMaterial Material,
    string SpiffeId,
    string Fingerprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Revision);
