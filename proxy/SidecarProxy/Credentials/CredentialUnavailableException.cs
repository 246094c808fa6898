namespace SidecarProxy.Credentials;

/// <summary>
/// The credential source could not give a credential, so the request must not be forwarded. The message is
/// safe to log and to put in a problem document: it never holds a secret or an upstream response body.
/// </summary>
internal sealed class CredentialUnavailableException : Exception
{
    public CredentialUnavailableException(string message)
        : this(message, CredentialFailure.Unavailable)
    {
    }

    public CredentialUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = CredentialFailure.Unavailable;
    }

    public CredentialUnavailableException()
        : this("credential unavailable")
    {
    }

    public CredentialUnavailableException(string message, CredentialFailure failure)
        : base(message)
    {
        Failure = failure;
    }

    /// <summary>Why it failed; decides the status and the problem <c>code</c>.</summary>
    public CredentialFailure Failure { get; }

    /// <summary>HTTP status the pipeline should answer: 502 when the source answered badly, 503 when it did not answer.</summary>
    public int StatusCode => Failure switch
    {
        CredentialFailure.UpstreamRejected or CredentialFailure.UpstreamInvalidResponse => 502,
        _ => 503,
    };

    /// <summary>Stable machine code for the problem document and the metric's <c>reason</c> label.</summary>
    public string Code => Failure switch
    {
        CredentialFailure.UpstreamRejected => "credential_upstream_rejected",
        CredentialFailure.UpstreamInvalidResponse => "credential_upstream_invalid",
        CredentialFailure.Timeout => "credential_timeout",
        CredentialFailure.Unreachable => "credential_unreachable",
        CredentialFailure.UnknownProvider => "credential_provider_unknown",
        _ => "credential_unavailable",
    };
}
