namespace SidecarProxy.Credentials;

/// <summary>One configured credential source. The broker caches what it returns; providers never cache.</summary>
internal interface ICredentialProvider
{
    /// <summary>Configured name (<c>Sidecar:Credentials:&lt;name&gt;</c>).</summary>
    string Name { get; }

    CredentialKind Kind { get; }

    /// <summary>Header the credential goes into.</summary>
    string HeaderName { get; }

    /// <summary>False when the credential is long-lived rather than minted for this agent and task.</summary>
    bool JustInTime { get; }

    /// <summary>Upper bound on how long a credential of this provider is used.</summary>
    TimeSpan MaxTtl { get; }

    /// <summary>Obtains a fresh credential; throws <see cref="CredentialUnavailableException"/> on failure.</summary>
    /// <param name="request">The request, with <see cref="CredentialRequest.Scopes"/> already normalized.</param>
    /// <param name="cancellationToken">Cancels the fetch (shutdown); not any one caller's request.</param>
    ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken);
}
