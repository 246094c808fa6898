namespace SidecarProxy.Credentials;

/// <summary>Closed set of reasons a credential could not be issued.</summary>
internal enum CredentialFailure
{
    /// <summary>Local cause: secret file unreadable, signing key missing, task already expired.</summary>
    Unavailable,

    /// <summary>The token endpoint answered with an error status.</summary>
    UpstreamRejected,

    /// <summary>The token endpoint answered 2xx with a body that is not a usable token response.</summary>
    UpstreamInvalidResponse,

    /// <summary>The token endpoint did not answer in time.</summary>
    Timeout,

    /// <summary>The token endpoint could not be reached (DNS, connect, TLS).</summary>
    Unreachable,

    /// <summary>The route names a provider that is not configured.</summary>
    UnknownProvider,
}
