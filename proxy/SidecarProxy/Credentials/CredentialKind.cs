namespace SidecarProxy.Credentials;

/// <summary>How a provider obtains the credential it injects.</summary>
internal enum CredentialKind
{
    /// <summary>The proxy mints an ES256 JWT itself.</summary>
    Jwt,

    /// <summary>OAuth 2.0 client credentials grant (RFC 6749 section 4.4) at the tool's token endpoint.</summary>
    OAuth2ClientCredentials,

    /// <summary>OAuth 2.0 token exchange (RFC 8693) of a proxy-minted subject token at an STS.</summary>
    TokenExchange,

    /// <summary>A long-lived header value read from a secret file; not just-in-time.</summary>
    Static,
}
