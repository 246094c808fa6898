using SidecarProxy.Denials;

namespace SidecarProxy.Model;

/// <summary>Outcome of validating a presented X.509-SVID: an identity, or a denial code with a safe detail.</summary>
internal sealed class SvidValidationResult
{
    private SvidValidationResult(PeerIdentity? identity, DenialCode? failure, string? detail)
    {
        Identity = identity;
        Failure = failure;
        Detail = detail;
    }

    public PeerIdentity? Identity { get; }

    public DenialCode? Failure { get; }

    /// <summary>Why validation failed, in go-spiffe's words; never contains certificate bytes.</summary>
    public string? Detail { get; }

    public bool Succeeded => Identity is not null;

    public static SvidValidationResult Success(PeerIdentity identity) => new(identity, null, null);

    public static SvidValidationResult Fail(DenialCode code, string detail) => new(null, code, detail);
}
