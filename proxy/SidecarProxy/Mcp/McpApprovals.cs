using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Approvals;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;

namespace SidecarProxy.Mcp;

/// <summary>What the approval step made of one MCP request: allowed (with the policy's new decision) or answered.</summary>
/// <param name="Raw">The message to forward (an MRTR retry loses the sidecar's own <c>requestState</c> and input response).</param>
/// <param name="Answer">The sidecar's JSON-RPC answer (an error, or a 2026-07-28 input-required result) when not allowed.</param>
internal sealed record McpApprovalResult(
    PolicyRequest? Request, PolicyDecision? Decision, ReadOnlyMemory<byte> Raw, byte[]? Answer, DenialCode? Code)
{
    public bool Allowed => Answer is null;
}

/// <summary>
/// Human approvals of MCP requests, in MCP's own terms. A request the policy holds (<c>require_approval</c>) is
/// bound to an approval by <see cref="McpApprovalDigest"/> (method, name, canonical arguments; not the JSON-RPC id)
/// and answered as the revision expects: 2025-11-25 and earlier get the URL-elicitation-required error
/// (<c>-32042</c>, <c>data.elicitations[{mode: "url", url, elicitationId, message}]</c>); 2026-07-28 gets an
/// input-required result whose input request is a URL-mode elicitation and whose <c>requestState</c> names the
/// approval. The URL is the approval's console link. The client retries the same call (a new id is fine): the
/// approval is found by its digest (or by <c>X-Approval-Id</c>, or by the echoed <c>requestState</c>), consumed
/// once, and the policy asked again with <c>input.approval</c>. The store, its terms and its audit are those of
/// every other approval (Approvals/). Fails closed: every failure answers and forwards nothing.
/// </summary>
internal sealed partial class McpApprovals(
    IApprovalStore store,
    ApprovalGate gate,
    IOptions<ApprovalOptions> options,
    IPolicyDecisionPoint decisionPoint,
    TimeProvider time,
    SidecarMetrics metrics,
    McpElicitationCompletions completions,
    ILogger<McpApprovals> logger)
{
    /// <summary>The key of the sidecar's input request in a 2026-07-28 input-required result.</summary>
    public const string InputKey = "sidecar_approval";

    /// <summary>Prefix of the <c>requestState</c> the sidecar issues (the rest is the approval id).</summary>
    public const string StatePrefix = "sidecar-approval:";

    /// <summary>JSON-RPC error code of MCP's URLElicitationRequiredError (2025-11-25).</summary>
    public const int UrlElicitationRequired = -32042;

    private const int MaxIndexed = 10_000;

    // Digest -> the approval created for it, so that a client's plain retry (MCP clients send no X-Approval-Id) finds it.
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset ExpiresAt)> _byDigest = new(StringComparer.Ordinal);

    public bool Enabled => gate.Enabled;

    public async Task<McpApprovalResult> GateAsync(
        HttpContext context, PolicyRequest request, PolicyDecision decision, JsonRpcMessage message, McpContext mcp)
    {
        try
        {
            return await GateCoreAsync(context, request, decision, message, mcp);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogFailed(logger, ex, request.ToolId);
            return Refuse(message, DenialCode.ApprovalUnavailable, JsonRpcErrors.InternalError, "Approval could not be processed");
        }
    }

    private async Task<McpApprovalResult> GateCoreAsync(
        HttpContext context, PolicyRequest request, PolicyDecision decision, JsonRpcMessage message, McpContext mcp)
    {
        var digest = McpApprovalDigest.Compute(request.SpiffeId, request.Task?.Id, request.ToolId, request.Path, message.Method!, mcp.Name, mcp.Arguments);
        var (explicitId, stripped) = ExplicitApproval(context, message);
        if (explicitId is not null)
        {
            return await AfterConsumeAsync(context, request, message, stripped, explicitId, digest, mcp,
                await store.ConsumeAsync(explicitId, digest, context.RequestAborted));
        }

        if (_byDigest.TryGetValue(digest, out var known))
        {
            var record = await store.GetAsync(known.Id, context.RequestAborted);
            if (record is { State: ApprovalStates.Approved })
            {
                return await AfterConsumeAsync(context, request, message, stripped, known.Id, digest, mcp,
                    await store.ConsumeAsync(known.Id, digest, context.RequestAborted));
            }

            if (record is not { State: ApprovalStates.Pending })
            {
                // Used, denied, expired, cancelled or forgotten: this call starts a new approval.
                _byDigest.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(digest, known));
                if (record is { State: ApprovalStates.Denied })
                {
                    return Refuse(message, DenialCode.ApprovalDenied, JsonRpcErrors.Refused, "Approval denied", record.Id);
                }
            }
        }

        var terms = (decision.Approval ?? new ApprovalRequirement()).Resolve(options.Value);
        ApprovalRecord created;
        try
        {
            var body = message.Raw.ToArray();
            var approvalContext = gate.BuildContext(context, request, decision, body, ApprovalDigest.BodyHash(body));
            created = await store.CreateAsync(new ApprovalDraft(digest, terms, approvalContext), context.RequestAborted);
        }
        catch (ApprovalCapacityException)
        {
            return Refuse(message, DenialCode.ApprovalUnavailable, JsonRpcErrors.InternalError, "Too many approvals are pending; try again later");
        }

        if (terms.Mode == ApprovalModes.Hold)
        {
            // Not indexed: the held request is the approval's only consumer, and it learns the outcome itself, so
            // neither a concurrent identical call nor the next one after a denial is bound to this approval.
            return await HoldAsync(context, request, message, stripped, created, digest, mcp);
        }

        Index(digest, created);
        return Required(request, message, mcp, created, decision.Reason);
    }

    /// <summary>An id the client names: <c>X-Approval-Id</c>, or the sidecar's <c>requestState</c> echoed by a 2026-07-28 retry (then removed from the message).</summary>
    private static (string? Id, ReadOnlyMemory<byte> Raw) ExplicitApproval(HttpContext context, JsonRpcMessage message)
    {
        if (message.ParamString("requestState") is { } state && state.StartsWith(StatePrefix, StringComparison.Ordinal))
        {
            var node = JsonNode.Parse(message.Raw.Span)!.AsObject();
            var parameters = node["params"]!.AsObject();
            parameters.Remove("requestState");
            if (parameters["inputResponses"] is JsonObject responses)
            {
                responses.Remove(InputKey);
                if (responses.Count == 0)
                {
                    parameters.Remove("inputResponses");
                }
            }

            return (state[StatePrefix.Length..], JsonSerializer.SerializeToUtf8Bytes(node));
        }

        var header = context.Request.Headers[ApprovalGate.HeaderName];
        return (header.Count == 0 ? null : header.Count == 1 ? header[0] ?? string.Empty : string.Empty, message.Raw);
    }

    private async Task<McpApprovalResult> HoldAsync(
        HttpContext context, PolicyRequest request, JsonRpcMessage message, ReadOnlyMemory<byte> raw, ApprovalRecord record, string digest, McpContext mcp)
    {
        ApprovalRecord? outcome;
        metrics.ApprovalsHeld.Inc();
        try
        {
            outcome = await store.WaitAsync(record.Id, record.Terms.HoldTimeout, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent went away: nobody is left to forward to, so the question is withdrawn.
            await store.EndPendingAsync(record.Id, ApprovalStates.Withdrawn, CancellationToken.None);
            throw;
        }
        finally
        {
            metrics.ApprovalsHeld.Dec();
        }

        if (outcome is { State: ApprovalStates.Pending })
        {
            outcome = await store.EndPendingAsync(record.Id, ApprovalStates.Expired, CancellationToken.None)
                ?? await store.GetAsync(record.Id, CancellationToken.None);
        }

        var result = outcome?.State switch
        {
            ApprovalStates.Approved => await store.ConsumeAsync(record.Id, digest, context.RequestAborted),
            ApprovalStates.Denied => new ApprovalConsumeResult(ApprovalConsumeStatus.Denied, outcome),
            ApprovalStates.Used => new ApprovalConsumeResult(ApprovalConsumeStatus.Used, outcome),
            ApprovalStates.Cancelled or ApprovalStates.Withdrawn => new ApprovalConsumeResult(ApprovalConsumeStatus.Cancelled, outcome),
            _ => new ApprovalConsumeResult(ApprovalConsumeStatus.Expired, outcome),
        };
        return await AfterConsumeAsync(context, request, message, raw, record.Id, digest, mcp, result);
    }

    private async Task<McpApprovalResult> AfterConsumeAsync(
        HttpContext context, PolicyRequest request, JsonRpcMessage message, ReadOnlyMemory<byte> raw, string id, string digest,
        McpContext mcp, ApprovalConsumeResult result)
    {
        switch (result.Status)
        {
            case ApprovalConsumeStatus.Consumed:
                if (_byDigest.TryGetValue(digest, out var indexed) && indexed.Id == id)
                {
                    _byDigest.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(digest, indexed));
                }
                break;
            case ApprovalConsumeStatus.Pending when result.Record is { } pending:
                // Not decided yet: the same link again.
                return Required(request, message, mcp, pending, null);
            case ApprovalConsumeStatus.Mismatch:
                // The same answer for an unknown id and another call's: an id reveals nothing.
                return Refuse(message, DenialCode.ApprovalMismatch, JsonRpcErrors.Refused, "No approval with this id matches this call");
            case ApprovalConsumeStatus.Denied:
                return Refuse(message, DenialCode.ApprovalDenied, JsonRpcErrors.Refused, "Approval denied", id);
            case ApprovalConsumeStatus.Used:
                return Refuse(message, DenialCode.ApprovalUsed, JsonRpcErrors.Refused, "Approval already used; an approval is good for one call", id);
            case ApprovalConsumeStatus.Cancelled:
                return Refuse(message, DenialCode.ApprovalCancelled, JsonRpcErrors.Refused, "Approval cancelled", id);
            default:
                return Refuse(message, DenialCode.ApprovalExpired, JsonRpcErrors.Refused, "Approval expired", id);
        }

        var record = result.Record!;
        var approved = gate.WithApproval(request, record);
        PolicyDecision again;
        try
        {
            again = await decisionPoint.DecideAsync(approved, context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogFailed(logger, ex, request.ToolId);
            return Refuse(message, DenialCode.PolicyUnavailable, JsonRpcErrors.InternalError, "Policy decision unavailable");
        }

        if (again.RequireApproval || !again.Allowed)
        {
            // The policy does not accept this approval: refused, never a new approval loop.
            return Refuse(message, DenialCode.PolicyDenied, JsonRpcErrors.Refused, "Not found or not permitted");
        }

        return new McpApprovalResult(approved, again, raw, null, null);
    }

    private McpApprovalResult Required(PolicyRequest request, JsonRpcMessage message, McpContext mcp, ApprovalRecord record, string? reason)
    {
        var url = gate.ApprovalUrl(record.Id);
        var text = "Approval required: a person must approve this call at " + url + (reason is null ? string.Empty : " (" + reason + ")");
        if (McpHeaders.IsJuly2026OrLater(mcp.ProtocolVersion) && AcceptsUrlElicitation(message))
        {
            return new McpApprovalResult(null, null, message.Raw, InputRequired(message.Id!.Value, record, url, text), DenialCode.ApprovalRequired);
        }

        if (mcp.Session is { } session)
        {
            // The session's GET stream will carry notifications/elicitation/complete once a person has decided.
            completions.Track(record.Id, request.ToolId, session);
        }

        var answer = UrlElicitationError(message.Id!.Value, record, url, text);
        return new McpApprovalResult(null, null, message.Raw, answer, DenialCode.ApprovalRequired);
    }

    /// <summary>2026-07-28: the client declares per request (<c>_meta</c> client capabilities) whether it handles URL-mode elicitation.</summary>
    private static bool AcceptsUrlElicitation(JsonRpcMessage message) =>
        message.Params is { } p && p.TryGetProperty("_meta", out var meta) && meta.ValueKind == JsonValueKind.Object
        && meta.TryGetProperty("io.modelcontextprotocol/clientCapabilities", out var capabilities) && capabilities.ValueKind == JsonValueKind.Object
        && capabilities.TryGetProperty("elicitation", out var elicitation) && elicitation.ValueKind == JsonValueKind.Object
        && elicitation.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.Object;

    private static byte[] UrlElicitationError(JsonElement id, ApprovalRecord record, string url, string text) =>
        Write(writer =>
        {
            writer.WriteStartObject("error");
            writer.WriteNumber("code", UrlElicitationRequired);
            writer.WriteString("message", text);
            writer.WriteStartObject("data");
            writer.WriteStartArray("elicitations");
            WriteElicitation(writer, record, url, text);
            writer.WriteEndArray();
            WriteApprovalMembers(writer, DenialCode.ApprovalRequired, record.Id, url, record.ExpiresAt);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, id);

    private static byte[] InputRequired(JsonElement id, ApprovalRecord record, string url, string text) =>
        Write(writer =>
        {
            writer.WriteStartObject("result");
            writer.WriteString("resultType", "input_required");
            writer.WriteStartObject("inputRequests");
            writer.WriteStartObject(InputKey);
            writer.WriteString("method", "elicitation/create");
            writer.WritePropertyName("params");
            WriteElicitation(writer, record, url, text);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteString("requestState", StatePrefix + record.Id);
            writer.WriteEndObject();
        }, id);

    private static void WriteElicitation(System.Text.Json.Utf8JsonWriter writer, ApprovalRecord record, string url, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("mode", "url");
        writer.WriteString("elicitationId", record.Id);
        writer.WriteString("url", url);
        writer.WriteString("message", text);
        writer.WriteEndObject();
    }

    private static void WriteApprovalMembers(System.Text.Json.Utf8JsonWriter writer, DenialCode code, string? id, string? url, DateTimeOffset? expiresAt)
    {
        writer.WriteString("code", code.Value);
        if (id is not null)
        {
            writer.WriteString("approval_id", id);
        }

        if (url is not null)
        {
            writer.WriteString("approval_url", url);
        }

        if (expiresAt is { } expires)
        {
            writer.WriteString("expires_at", PolicyInputBuilder.Rfc3339(expires));
        }
    }

    private static McpApprovalResult Refuse(JsonRpcMessage message, DenialCode code, int errorCode, string text, string? id = null) =>
        new(null, null, message.Raw, Write(writer =>
        {
            writer.WriteStartObject("error");
            writer.WriteNumber("code", errorCode);
            writer.WriteString("message", text);
            writer.WriteStartObject("data");
            WriteApprovalMembers(writer, code, id, null, null);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }, message.Id!.Value), code);

    private static byte[] Write(Action<System.Text.Json.Utf8JsonWriter> body, JsonElement id)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            id.WriteTo(writer);
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void Index(string digest, ApprovalRecord record)
    {
        if (_byDigest.Count >= MaxIndexed)
        {
            var now = time.GetUtcNow();
            foreach (var (key, value) in _byDigest)
            {
                if (value.ExpiresAt <= now)
                {
                    _byDigest.TryRemove(key, out _);
                }
            }

            // Still full: forget the ones closest to expiry (their calls then ask for a new approval: fails closed).
            foreach (var key in _byDigest.OrderBy(p => p.Value.ExpiresAt).Take(_byDigest.Count - MaxIndexed + 1).Select(p => p.Key).ToList())
            {
                _byDigest.TryRemove(key, out _);
            }
        }

        _byDigest[digest] = (record.Id, record.ExpiresAt);
    }

    [LoggerMessage(EventId = 7020, Level = LogLevel.Error, Message = "MCP approval step failed for tool {ToolId}; refusing")]
    private static partial void LogFailed(ILogger logger, Exception exception, string toolId);
}
