using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.Credentials;

/// <summary>
/// POSTs a token request (RFC 6749 section 3.2) and reads the reply. Maps every failure to a
/// <see cref="CredentialUnavailableException"/> whose message says what went wrong but never quotes the
/// response body, which may hold tokens or reflect the client secret.
/// </summary>
internal sealed class TokenEndpointClient(IHttpClientFactory httpClientFactory, ILogger<TokenEndpointClient> logger, TimeProvider time)
{
    public const string HttpClientName = "SidecarProxy.Credentials.TokenEndpoint";

    // A token response is a few KB; more is a misbehaving server, and is not buffered.
    private const int MaxResponseBytes = 256 * 1024;

    // Ten years: anything longer is a broken server, not a long-lived token.
    private const long MaxExpiresInSeconds = 10L * 365 * 24 * 3600;

    public async Task<TokenResponse> RequestAsync(
        string providerName,
        CredentialProviderOptions options,
        List<KeyValuePair<string, string>> form,
        CancellationToken cancellationToken,
        IReadOnlyCollection<string>? audiences = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(form);
        var endpoint = options.TokenEndpoint
            ?? throw new CredentialUnavailableException($"credential provider '{providerName}' has no token endpoint");

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        await AddClientAuthenticationAsync(providerName, options, request, form, logger, cancellationToken);
        request.Content = new FormUrlEncodedContent(form);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var body = await ReadLimitedAsync(response.Content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                CredentialLog.TokenEndpointRejected(logger, providerName, (int)response.StatusCode, SafeErrorCode(body));
                throw new CredentialUnavailableException(
                    $"credential provider '{providerName}': token endpoint answered {(int)response.StatusCode}",
                    CredentialFailure.UpstreamRejected);
            }

            return Parse(providerName, body, audiences);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            CredentialLog.TokenEndpointTimeout(logger, providerName, options.Timeout);
            throw new CredentialUnavailableException(
                $"credential provider '{providerName}': token endpoint did not answer in time", CredentialFailure.Timeout);
        }
        catch (HttpRequestException ex)
        {
            CredentialLog.TokenEndpointUnreachable(logger, providerName, ex.HttpRequestError);
            throw new CredentialUnavailableException(
                $"credential provider '{providerName}': token endpoint unreachable", CredentialFailure.Unreachable);
        }
        catch (IOException)
        {
            // The connection broke while the body was being read.
            CredentialLog.TokenEndpointUnreachable(logger, providerName, HttpRequestError.ResponseEnded);
            throw new CredentialUnavailableException(
                $"credential provider '{providerName}': token endpoint unreachable", CredentialFailure.Unreachable);
        }
    }

    /// <summary>The provider's client authentication (basic or post), as on its token requests; also used for RFC 7009 revocation.</summary>
    internal static async Task AddClientAuthenticationAsync(
        string providerName,
        CredentialProviderOptions options,
        HttpRequestMessage request,
        List<KeyValuePair<string, string>> form,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(form);
        if (string.IsNullOrEmpty(options.ClientId))
        {
            return;
        }

        var secret = options.ClientSecretPath is { } path
            ? await SecretFile.ReadAsync(providerName, path, logger, cancellationToken)
            : string.Empty;
        _ = ClientAuthentication.TryParse(options.ClientAuthentication, out var method);
        if (method == ClientAuthenticationMethod.Post)
        {
            form.Add(new("client_id", options.ClientId));
            form.Add(new("client_secret", secret));
            return;
        }

        // RFC 6749 2.3.1: id and secret are form-urlencoded before being joined and base64-encoded.
        var pair = WebUtility.UrlEncode(options.ClientId) + ":" + WebUtility.UrlEncode(secret);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
    }

    internal static async Task<byte[]?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private TokenResponse Parse(string providerName, byte[]? body, IReadOnlyCollection<string>? audiences)
    {
        string? problem;
        string? accessToken = null;
        TimeSpan? expiresIn = null;
        if (body is null)
        {
            problem = "response too large";
        }
        else
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                problem = Read(document.RootElement, ref accessToken, ref expiresIn)
                    ?? AccessTokenClaims.FindProblem(accessToken!, audiences, time.GetUtcNow());
            }
            catch (JsonException)
            {
                problem = "response is not JSON";
            }
        }

        if (problem is not null || accessToken is null)
        {
            CredentialLog.TokenEndpointInvalidResponse(logger, providerName, problem ?? "no access_token");
            throw new CredentialUnavailableException(
                $"credential provider '{providerName}': token endpoint sent an invalid response",
                CredentialFailure.UpstreamInvalidResponse);
        }

        return new TokenResponse(accessToken, expiresIn);
    }

    // Returns a fixed description of what is wrong (never a value from the body), or null when usable.
    private static string? Read(JsonElement root, ref string? accessToken, ref TimeSpan? expiresIn)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "response is not a JSON object";
        }

        if (!root.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String
            || token.GetString() is not { Length: > 0 } value)
        {
            return "no access_token";
        }

        if (!HeaderValues.IsSafe(value))
        {
            return "access_token has characters not allowed in a header";
        }

        if (root.TryGetProperty("expires_in", out var expires) && expires.ValueKind != JsonValueKind.Null)
        {
            if (!TryReadSeconds(expires, out var seconds) || seconds <= 0 || seconds > MaxExpiresInSeconds)
            {
                return "expires_in is not a positive number";
            }

            expiresIn = TimeSpan.FromSeconds(seconds);
        }

        accessToken = value;
        return null;
    }

    // Some servers send expires_in as a string; accept both.
    private static bool TryReadSeconds(JsonElement element, out long seconds)
    {
        seconds = 0;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt64(out seconds),
            JsonValueKind.String => long.TryParse(element.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds),
            _ => false,
        };
    }

    // RFC 6749 5.2 error codes are short ASCII words; anything else from the body is not logged.
    internal static string? SafeErrorCode(byte[]? body)
    {
        if (body is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String
                && error.GetString() is { Length: > 0 and <= 40 } code
                && code.All(c => c is (>= 'a' and <= 'z') or '_'))
            {
                return code;
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
