namespace SidecarProxy.TaskGrants;

/// <summary>Closed set of reasons a task grant is rejected.</summary>
internal enum TaskGrantFailure
{
    /// <summary>No grant sent while <c>Sidecar:TaskGrants:Required</c> is true.</summary>
    Missing,

    /// <summary>Not a compact JWS, or too long.</summary>
    Malformed,

    /// <summary>Header <c>alg</c> outside the asymmetric allow-list (none, HS*, ...).</summary>
    AlgorithmNotAllowed,

    /// <summary>Signature does not verify with any trusted key.</summary>
    BadSignature,

    /// <summary><c>iss</c> is not the configured issuer.</summary>
    WrongIssuer,

    /// <summary><c>aud</c> does not include the configured audience.</summary>
    WrongAudience,

    /// <summary><c>exp</c> passed (beyond the clock skew) or missing.</summary>
    Expired,

    /// <summary><c>nbf</c> in the future (beyond the clock skew).</summary>
    NotYetValid,

    /// <summary><c>sub</c> is not the SPIFFE ID of the mTLS peer.</summary>
    SubjectMismatch,

    /// <summary>Neither <c>task_id</c> nor <c>jti</c> is a non-empty string.</summary>
    NoTaskId,

    /// <summary>No trusted keys could be loaded (fails closed; a 503, not the agent's fault).</summary>
    KeysUnavailable,
}
