namespace SidecarProxy.Credentials;

/// <summary>
/// OAuth 2.0 client credentials grant (RFC 6749 section 4.4): the sidecar is the client, the agent never sees
/// the client secret; the scope asked for is the decision's plus the configured extras. A route that names a
/// resource or audience (<see cref="CredentialTarget"/>) adds RFC 8707 <c>resource</c> and <c>audience</c>.
/// </summary>
internal sealed class ClientCredentialsProvider(
    string name,
    CredentialProviderOptions options,
    TokenEndpointClient tokenEndpoint,
    TimeProvider time) : ICredentialProvider
{
    public string Name => name;

    public CredentialKind Kind => CredentialKind.OAuth2ClientCredentials;

    public string HeaderName => options.Header;

    public bool JustInTime => true;

    public TimeSpan MaxTtl => options.MaxTtl;

    public async ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scopes = ScopeSet.Normalize(request.Scopes, options.Scopes);
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (scopes.Count > 0)
        {
            form.Add(new("scope", ScopeSet.Join(scopes)));
        }

        // What the token was asked for: a JWT access token naming another audience is refused (any one may appear).
        var asked = new List<string>();
        if ((request.Resource ?? options.Resource) is { } resource)
        {
            form.Add(new("resource", resource.AbsoluteUri));
            asked.Add(resource.AbsoluteUri);
            asked.Add(resource.OriginalString);
        }

        if (request.Audience is { } audience)
        {
            form.Add(new("audience", audience));
            asked.Add(audience);
        }

        var requestedAt = time.GetUtcNow();
        var response = await tokenEndpoint.RequestAsync(name, options, form, cancellationToken, asked.Count > 0 ? asked : null);

        // Counted from before the request: the server's clock started no later than that.
        var expiresAt = requestedAt + (response.ExpiresIn ?? options.MaxTtl);
        return new ProviderCredential(HeaderValues.WithScheme(options.Scheme, response.AccessToken), expiresAt)
        {
            AccessToken = response.AccessToken,
        };
    }
}
