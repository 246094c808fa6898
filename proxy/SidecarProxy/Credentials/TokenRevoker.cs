using System.Net.Http.Headers;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>Why tokens are being revoked: the revocation record that covered their agent or task.</summary>
internal sealed record TokenRevocationCause(string RecordId, string SubjectKind, string Subject, string Reason);

/// <summary>
/// RFC 7009 at the issuer: when an agent or a task is revoked, the tokens that <c>oauth2_client_credentials</c> and
/// <c>token_exchange</c> providers issued for it and that were still cached are revoked at the provider's
/// <c>RevocationEndpoint</c> (form POST <c>token</c>, <c>token_type_hint=access_token</c>, the provider's client
/// authentication). Runs in the background, so the admin call that caused it never waits for an issuer; it is a
/// hosted service whose stop waits (within the host's shutdown timeout) for the queue to drain.
/// A 200 is <c>revoked</c> (RFC 7009 2.2: also for a token the issuer no longer knows); a 5xx, a 429, a timeout or a
/// network error is retried with backoff, <see cref="MaxAttempts"/> calls in all, then <c>failed</c>; any other answer
/// is <c>rejected</c> at once. Every outcome is audited and counted (<c>sidecar_token_revocations_total</c>). The token
/// itself is never logged, audited or counted: only its fingerprint.
/// </summary>
internal sealed partial class TokenRevoker : IHostedService, IDisposable
{
    public const int MaxAttempts = 3;
    public const int QueueCapacity = 10_000;
    private const int Parallelism = 4;

    /// <summary>Wait before the second call; doubled before each further one.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);

    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _slots = new(Parallelism, Parallelism);
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _running = [];
    private readonly IHttpClientFactory _http;
    private readonly IOptions<CredentialsOptions> _options;
    private readonly CredentialProviderRegistry _providers;
    private readonly AuditWriter _audit;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Task? _reader;

    public TokenRevoker(
        IHttpClientFactory http,
        IOptions<CredentialsOptions> options,
        CredentialProviderRegistry providers,
        AuditWriter audit,
        SidecarMetrics metrics,
        TimeProvider time,
        ILogger<TokenRevoker> logger)
    {
        _http = http;
        _options = options;
        _providers = providers;
        _audit = audit;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Queues the revocation of every purged credential whose provider has a revocation endpoint; returns at once
    /// with how many were queued. Credentials still being fetched are revoked once their fetch completes.
    /// </summary>
    public int Enqueue(TokenRevocationCause cause, IReadOnlyList<PurgedCredential> purged)
    {
        ArgumentNullException.ThrowIfNull(cause);
        ArgumentNullException.ThrowIfNull(purged);
        var queued = 0;
        foreach (var entry in purged)
        {
            if (!_options.Value.Providers.TryGetValue(entry.Key.Provider, out var options) || options.RevocationEndpoint is null)
            {
                continue;
            }

            if (_queue.Writer.TryWrite(new Work(cause, entry)))
            {
                queued++;
            }
            else
            {
                // Full, or stopping: fail loud (counted and audited) rather than silently.
                Finish(new Work(cause, entry), null, Outcome.Dropped, 0, 0);
            }
        }

        return queued;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _reader = Task.Run(ReadAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking work and waits for what is queued or running, until <paramref name="cancellationToken"/> (the host's shutdown timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_reader is null)
        {
            return;
        }

        using var registration = cancellationToken.Register(_abort.Cancel);
        try
        {
            await _reader.WaitAsync(cancellationToken);
            Task[] running;
            lock (_gate)
            {
                running = [.. _running];
            }

            await Task.WhenAll(running).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogShutdownCut(_logger);
        }
    }

    public void Dispose()
    {
        _abort.Dispose();
        _slots.Dispose();
    }

    private async Task ReadAsync()
    {
        await foreach (var work in _queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await _slots.WaitAsync(_abort.Token);
            }
            catch (OperationCanceledException)
            {
                Finish(work, null, Outcome.Dropped, 0, 0);
                continue;
            }

            var task = RunAsync(work);
            lock (_gate)
            {
                _running.Add(task);
            }

            _ = task.ContinueWith(
                t =>
                {
                    lock (_gate)
                    {
                        _running.Remove(t);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task RunAsync(Work work)
    {
        try
        {
            await RevokeAsync(work);
        }
#pragma warning disable CA1031 // A bug in one revocation must not stop the others; it is logged by type only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnexpected(_logger, work.Entry.Key.Provider, ex.GetType().Name);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task RevokeAsync(Work work)
    {
        ProviderCredential credential;
        try
        {
            // A fetch still in flight when the entry was purged: revoke what it brings back.
            credential = await work.Entry.Credential.WaitAsync(_abort.Token);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            Finish(work, null, Outcome.Dropped, 0, 0);
            return;
        }
#pragma warning disable CA1031 // A failed fetch issued no token: nothing to revoke.
        catch (Exception)
#pragma warning restore CA1031
        {
            return;
        }

        var providerName = work.Entry.Key.Provider;
        if (credential.AccessToken is not { Length: > 0 } token
            || !_options.Value.Providers.TryGetValue(providerName, out var options)
            || options.RevocationEndpoint is not { } endpoint)
        {
            return;
        }

        var status = 0;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                try
                {
                    await Task.Delay(FirstBackoff * (1 << (attempt - 2)), _time, _abort.Token);
                }
                catch (OperationCanceledException)
                {
                    Finish(work, credential, Outcome.Failed, attempt - 1, status);
                    return;
                }
            }

            var (result, code) = await CallAsync(providerName, options, endpoint, token);
            status = code;
            if (result != Outcome.Failed)
            {
                Finish(work, credential, result, attempt, status);
                return;
            }
        }

        Finish(work, credential, Outcome.Failed, MaxAttempts, status);
    }

    // One call. Revoked (200), Rejected (an answer not worth repeating), or Failed (worth a retry).
    private async Task<(Outcome Outcome, int Status)> CallAsync(string providerName, CredentialProviderOptions options, Uri endpoint, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var form = new List<KeyValuePair<string, string>>
        {
            new("token", token),
            new("token_type_hint", "access_token"),
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        timeout.CancelAfter(options.Timeout);
        try
        {
            await TokenEndpointClient.AddClientAuthenticationAsync(providerName, options, request, form, _logger, timeout.Token);
            request.Content = new FormUrlEncodedContent(form);
            using var response = await _http.CreateClient(TokenEndpointClient.HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (Outcome.Revoked, status);
            }

            var body = await TokenEndpointClient.ReadLimitedAsync(response.Content, timeout.Token);
            LogIssuerAnswered(_logger, providerName, status, TokenEndpointClient.SafeErrorCode(body));
            return status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests
                ? (Outcome.Failed, status)
                : (Outcome.Rejected, status);
        }
        catch (CredentialUnavailableException)
        {
            // The client secret could not be read (logged by SecretFile): retried, it may be back.
            return (Outcome.Failed, 0);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            LogIssuerUnreachable(_logger, providerName, "timeout");
            return (Outcome.Failed, 0);
        }
        catch (OperationCanceledException)
        {
            return (Outcome.Failed, 0);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            LogIssuerUnreachable(_logger, providerName, ex is HttpRequestException h ? h.HttpRequestError.ToString() : "connection broken");
            return (Outcome.Failed, 0);
        }
    }

    private void Finish(Work work, ProviderCredential? credential, Outcome outcome, int attempts, int status)
    {
        var key = work.Entry.Key;
        var outcomeName = outcome switch
        {
            Outcome.Revoked => "revoked",
            Outcome.Rejected => "rejected",
            Outcome.Dropped => "dropped",
            _ => "failed",
        };
        _metrics.TokenRevocations.WithLabels(key.Provider, outcomeName).Inc();
        var fingerprint = credential?.Fingerprint;
        if (outcome == Outcome.Revoked)
        {
            LogRevoked(_logger, key.Provider, work.Cause.RecordId, fingerprint, attempts);
        }
        else
        {
            LogNotRevoked(_logger, key.Provider, work.Cause.RecordId, fingerprint, outcomeName, attempts, status);
        }

        _providers.TryGet(key.Provider, out var provider);
        var record = new AuditRecord
        {
            Time = _time.GetUtcNow(),
            SpiffeId = key.SpiffeId,
            TaskId = key.TaskId,
            Tool = key.ToolId,
            Decision = outcome == Outcome.Revoked ? "allow" : "deny",
            Reason = work.Cause.Reason,
            Status = status,
            CredentialProvider = key.Provider,
            CredentialKind = provider is null ? null : CredentialKindNames.ToName(provider.Kind),
            CredentialFingerprint = fingerprint,
            Admin = new AdminAuditDetails
            {
                Event = outcome == Outcome.Revoked ? "token_revoked" : "token_revocation_failed",
                RevocationId = work.Cause.RecordId,
                SubjectKind = work.Cause.SubjectKind,
                Subject = work.Cause.Subject,
                Action = "revoke",
                Outcome = outcomeName,
                Attempts = attempts,
            },
        };
        if (!_audit.TryWrite(record))
        {
            _metrics.AuditDropped.Inc();
        }
    }

    private enum Outcome
    {
        Revoked,
        Rejected,
        Failed,
        Dropped,
    }

    private sealed record Work(TokenRevocationCause Cause, PurgedCredential Entry);

    [LoggerMessage(EventId = 5020, EventName = "TokenRevoked", Level = LogLevel.Information,
        Message = "Token of {Provider} revoked at the issuer for revocation {RecordId}: {Fingerprint} ({Attempts} call(s))")]
    private static partial void LogRevoked(ILogger logger, string provider, string recordId, string? fingerprint, int attempts);

    [LoggerMessage(EventId = 5021, EventName = "TokenNotRevoked", Level = LogLevel.Warning,
        Message = "Token of {Provider} for revocation {RecordId} not revoked at the issuer: {Outcome} after {Attempts} call(s), last status {Status}: {Fingerprint}")]
    private static partial void LogNotRevoked(ILogger logger, string provider, string recordId, string? fingerprint, string outcome, int attempts, int status);

    [LoggerMessage(EventId = 5022, EventName = "RevocationEndpointAnswered", Level = LogLevel.Warning,
        Message = "Revocation endpoint of {Provider} answered {StatusCode} (error {ErrorCode})")]
    private static partial void LogIssuerAnswered(ILogger logger, string provider, int statusCode, string? errorCode);

    [LoggerMessage(EventId = 5023, EventName = "RevocationEndpointUnreachable", Level = LogLevel.Warning,
        Message = "Revocation endpoint of {Provider} unreachable ({Error})")]
    private static partial void LogIssuerUnreachable(ILogger logger, string provider, string error);

    [LoggerMessage(EventId = 5024, EventName = "TokenRevocationShutdownCut", Level = LogLevel.Warning,
        Message = "Shutdown timeout reached with token revocations still queued or running")]
    private static partial void LogShutdownCut(ILogger logger);

    [LoggerMessage(EventId = 5025, EventName = "TokenRevocationError", Level = LogLevel.Error,
        Message = "Token revocation at {Provider} failed unexpectedly ({ErrorType})")]
    private static partial void LogUnexpected(ILogger logger, string provider, string errorType);
}
