using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Observability;
using SidecarProxy.Policy;

namespace SidecarProxy.Approvals;

/// <summary>
/// Tells approvers that an approval was requested or decided: POSTs an <c>approval.requested</c> or
/// <c>approval.decided</c> event to <c>Sidecar:Approvals:Webhook:Url</c>, signed (<see cref="ApprovalWebhookSignature"/>).
/// Events are queued (bounded) and delivered in the background with bounded retries and exponential backoff, so a
/// slow or failing webhook never holds up, decides or refuses anything; what is not delivered is logged (without
/// the URL's path or query, which can carry a token, and without the secret) and counted. Events come from the
/// store's changes, which are raised by the sidecar that made them: with a shared store each event is sent once
/// for the fleet, not once per sidecar. The event never holds a credential or the body (only what the approvals
/// API shows: the redacted query, the policy's reason).
/// </summary>
internal sealed partial class ApprovalWebhookNotifier : BackgroundService
{
    public const string SignatureHeader = "X-Sidecar-Signature";
    public const string EventHeader = "X-Sidecar-Event";
    public const string DeliveryHeader = "X-Sidecar-Delivery";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ApprovalWebhookOptions _options;
    private readonly ApprovalGate _gate;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<WebhookEvent> _queue;
    private readonly HttpClient? _http;
    private readonly string _endpoint;

    public ApprovalWebhookNotifier(
        IOptions<ApprovalOptions> options, IApprovalStore store, ApprovalGate gate, SidecarMetrics metrics, TimeProvider time,
        ILogger<ApprovalWebhookNotifier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _options = options.Value.Webhook;
        _gate = gate;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<WebhookEvent>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _endpoint = _options.Url is { } url ? url.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) : string.Empty;
        if (_options.Enabled)
        {
            // Its own client, not the factory's: the factory's handlers log request URLs, and this one may carry a token.
            _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                Timeout = _options.Timeout,
            };
            store.Changed += OnChanged;
        }
    }

    /// <summary>Events waiting to be delivered (tests, diagnostics).</summary>
    public int Queued => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    public override void Dispose()
    {
        _http?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_http is null)
        {
            return;
        }

        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(item, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping: what is still queued is not sent.
        }
    }

    private void OnChanged(ApprovalChange change)
    {
        var type = change.Event switch
        {
            "approval_requested" => "approval.requested",
            "approval_decided" => "approval.decided",
            _ => null,
        };
        if (type is null)
        {
            return;
        }

        var item = new WebhookEvent(type, "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), change.Record.Id, Serialize(type, change));
        if (!_queue.Writer.TryWrite(item))
        {
            _metrics.ApprovalWebhookFailures.WithLabels("queue_full").Inc();
            LogDropped(_logger, type, change.Record.Id, _options.QueueCapacity);
        }
    }

    private async Task DeliverAsync(WebhookEvent item, CancellationToken stoppingToken)
    {
        string reason = "network", detail = string.Empty;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            if (attempt > 1 && _options.RetryDelay > TimeSpan.Zero)
            {
                // Exponential backoff: RetryDelay, 2 x, 4 x ... (at most 2^8 x: MaxAttempts is at most 10).
                await Task.Delay(_options.RetryDelay * Math.Pow(2, Math.Min(attempt - 2, 8)), _time, stoppingToken);
            }

            string secret;
            try
            {
                secret = (await File.ReadAllTextAsync(_options.SecretPath!, stoppingToken)).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                secret = string.Empty;
            }

            if (secret.Length == 0)
            {
                // Never sent unsigned.
                (reason, detail) = ("secret_unavailable", "the secret file cannot be read or is empty");
                break;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url) { Content = new ByteArrayContent(item.Body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation(EventHeader, item.Type);
            request.Headers.TryAddWithoutValidation(DeliveryHeader, item.DeliveryId);
            request.Headers.TryAddWithoutValidation(SignatureHeader, ApprovalWebhookSignature.Sign(secret, _time.GetUtcNow(), item.Body));
            try
            {
                using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stoppingToken);
                if (response.IsSuccessStatusCode)
                {
                    _metrics.ApprovalWebhookDeliveries.Inc();
                    LogDelivered(_logger, item.Type, item.ApprovalId, attempt);
                    return;
                }

                var status = (int)response.StatusCode;
                (reason, detail) = ("status", "HTTP " + status.ToString(CultureInfo.InvariantCulture));
                if (!IsRetryable(response.StatusCode))
                {
                    break;
                }
            }
            catch (TaskCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                (reason, detail) = ("timeout", "no answer within " + _options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s");
            }
            catch (HttpRequestException ex)
            {
                // The type and the socket error only: an exception message may quote the URL.
                (reason, detail) = ("network", ex.HttpRequestError.ToString());
            }

            if (attempt < _options.MaxAttempts)
            {
                LogAttemptFailed(_logger, item.Type, item.ApprovalId, attempt, _options.MaxAttempts, _endpoint, detail);
            }
        }

        _metrics.ApprovalWebhookFailures.WithLabels(reason).Inc();
        LogFailed(_logger, item.Type, item.ApprovalId, _endpoint, reason, detail);
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private byte[] Serialize(string type, ApprovalChange change)
    {
        var record = change.Record;
        var context = record.Context;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("time", PolicyInputBuilder.Rfc3339(_time.GetUtcNow()));
            json.WriteStartObject("approval");
            json.WriteString("id", record.Id);
            json.WriteString("state", record.State);
            json.WriteString("agent", context.SpiffeId);
            WriteOptional(json, "task", context.TaskId);
            WriteOptional(json, "requested_by", context.RequestedBy);
            json.WriteString("tool", context.Tool);
            json.WriteString("method", context.Method);
            json.WriteString("path", context.Path);
            json.WriteString("query", context.Query);
            WriteOptional(json, "reason", context.Reason);
            WriteOptional(json, "decision_id", context.DecisionId);
            json.WriteString("approval_url", _gate.ApprovalUrl(record.Id));
            ApprovalJson.WriteTermsAndApprovers(json, record);
            json.WriteString("created_at", PolicyInputBuilder.Rfc3339(record.CreatedAt));
            json.WriteString("expires_at", PolicyInputBuilder.Rfc3339(record.ExpiresAt));
            json.WriteEndObject();
            if (change.Vote is { } vote)
            {
                json.WriteStartObject("vote");
                json.WriteString("by", vote.Approver);
                WriteOptional(json, "on_behalf_of", vote.OnBehalfOf);
                json.WriteString("vote", vote.Approve ? "approve" : "deny");
                WriteOptional(json, "comment", vote.Comment);
                json.WriteString("at", PolicyInputBuilder.Rfc3339(vote.At));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private sealed record WebhookEvent(string Type, string DeliveryId, string ApprovalId, byte[] Body);

    [LoggerMessage(EventId = 13030, Level = LogLevel.Debug, Message = "Approval webhook: {EventType} for {ApprovalId} delivered (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string eventType, string approvalId, int attempt);

    [LoggerMessage(EventId = 13031, Level = LogLevel.Information,
        Message = "Approval webhook: {EventType} for {ApprovalId}, attempt {Attempt} of {MaxAttempts} to {Endpoint} failed ({Detail}); retrying")]
    private static partial void LogAttemptFailed(ILogger logger, string eventType, string approvalId, int attempt, int maxAttempts, string endpoint, string detail);

    [LoggerMessage(EventId = 13032, Level = LogLevel.Warning,
        Message = "Approval webhook: {EventType} for {ApprovalId} not delivered to {Endpoint} ({Reason}: {Detail}); the approval itself is unaffected")]
    private static partial void LogFailed(ILogger logger, string eventType, string approvalId, string endpoint, string reason, string detail);

    [LoggerMessage(EventId = 13033, Level = LogLevel.Warning,
        Message = "Approval webhook: {EventType} for {ApprovalId} dropped: {Capacity} events are already waiting")]
    private static partial void LogDropped(ILogger logger, string eventType, string approvalId, int capacity);
}
