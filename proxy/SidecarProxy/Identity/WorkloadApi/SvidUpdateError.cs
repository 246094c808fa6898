namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>Why a Workload API message was not applied. Logged by name; the last good snapshot stays in force.</summary>
internal enum SvidUpdateError
{
    None = 0,
    NoSvids,
    InvalidSpiffeId,
    MalformedCertificate,
    SpiffeIdMismatch,
    LeafIsCa,
    UnsupportedKey,
    MalformedKey,
    KeyMismatch,
    MalformedBundle,
    EmptyBundle,
    InvalidFederatedTrustDomain,
    Expired,

    /// <summary>The message made a parser fail in a way the checks above do not name.</summary>
    Unreadable,
}
