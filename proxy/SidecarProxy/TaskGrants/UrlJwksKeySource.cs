using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// Keys from a JWKS URL: fetched on first use, refetched after the refresh interval or when a grant names an
/// unknown key id (at most once per minimum interval, so forged kids cannot make us hammer the orchestrator).
/// A failed fetch keeps the last good set.
/// </summary>
internal sealed class UrlJwksKeySource(
    Uri url,
    TaskGrantOptions options,
    IHttpClientFactory httpClientFactory,
    TimeProvider time,
    ILogger<UrlJwksKeySource> logger) : ITaskGrantKeySource, IDisposable
{
    public const string HttpClientName = "SidecarProxy.TaskGrants.Jwks";

    // A JWKS is a few KB; a bigger body is not a key set.
    private const int MaxBytes = 1024 * 1024;

    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private volatile IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    public async ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(CancellationToken cancellationToken)
    {
        var keys = _keys;
        if (keys is not null && time.GetUtcNow() - _fetchedAt < options.JwksRefreshInterval)
        {
            return keys;
        }

        await FetchAsync(minimumGap: keys is null ? TimeSpan.Zero : options.JwksMinimumRefreshInterval, cancellationToken);
        return _keys;
    }

    public async ValueTask<bool> RefreshAsync(CancellationToken cancellationToken) =>
        await FetchAsync(options.JwksMinimumRefreshInterval, cancellationToken);

    public void Dispose() => _fetchGate.Dispose();

    private async Task<bool> FetchAsync(TimeSpan minimumGap, CancellationToken cancellationToken)
    {
        var before = _keys;
        await _fetchGate.WaitAsync(cancellationToken);
        try
        {
            // Someone else fetched while we waited.
            if (!ReferenceEquals(before, _keys))
            {
                return true;
            }

            var now = time.GetUtcNow();
            if (now - _lastAttempt < minimumGap)
            {
                return false;
            }

            _lastAttempt = now;
            var keys = await DownloadAsync(cancellationToken);
            if (keys is null)
            {
                return false;
            }

            _keys = keys;
            _fetchedAt = now;
            TaskGrantLog.JwksLoaded(logger, url.AbsoluteUri, keys.Count);
            return true;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private async Task<IReadOnlyList<SecurityKey>?> DownloadAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.JwksTimeout);
        try
        {
            var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, $"status {(int)response.StatusCode}");
                return null;
            }

            if (response.Content.Headers.ContentLength > MaxBytes)
            {
                TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, "response too large");
                return null;
            }

            var json = await response.Content.ReadAsStringAsync(timeout.Token);
            if (json.Length > MaxBytes)
            {
                TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, "response too large");
                return null;
            }

            var keys = JwksParser.TryParse(json, out var problem);
            if (keys is null)
            {
                TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, problem!);
            }

            return keys;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, "timeout");
            return null;
        }
        catch (HttpRequestException ex)
        {
            TaskGrantLog.JwksLoadFailed(logger, url.AbsoluteUri, $"unreachable ({ex.HttpRequestError})");
            return null;
        }
    }
}
