namespace SidecarProxy.Credentials;

/// <summary>How a client authenticates to a token endpoint.</summary>
internal enum ClientAuthenticationMethod
{
    /// <summary>HTTP Basic with form-urlencoded id and secret (RFC 6749 section 2.3.1).</summary>
    Basic,

    /// <summary><c>client_id</c> and <c>client_secret</c> in the request body.</summary>
    Post,
}

internal static class ClientAuthentication
{
    public static bool TryParse(string? value, out ClientAuthenticationMethod method)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "basic" or "client_secret_basic":
                method = ClientAuthenticationMethod.Basic;
                return true;
            case "post" or "client_secret_post":
                method = ClientAuthenticationMethod.Post;
                return true;
            default:
                method = default;
                return false;
        }
    }
}
