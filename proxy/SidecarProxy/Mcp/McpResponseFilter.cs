using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SidecarProxy.Model;
using SidecarProxy.Policy;

namespace SidecarProxy.Mcp;

/// <summary>
/// The response body of a forwarded MCP POST, when it needs changing: results of list requests keep only the items
/// the policy lets this agent see (<c>input.mcp.phase = "list"</c>, <c>name</c> = the item's name or URI), and the
/// sidecar's own errors for the refused messages of a batch are added. An <c>application/json</c> body is buffered
/// (bounded) and re-serialized only when it changes; a <c>text/event-stream</c> body is relayed event by event, each
/// flushed as it completes, and only the events that carry a pending list result are rewritten. Fails closed: a list
/// result that cannot be read, is too large, or whose items the policy cannot decide is replaced by an error.
/// </summary>
internal sealed partial class McpResponseFilter(
    HttpContext context,
    Stream inner,
    Dictionary<string, PolicyRequest> lists,
    List<byte[]> errors,
    bool batch,
    IPolicyDecisionPoint decisionPoint,
    long maxBytes,
    ILogger logger) : Stream
{
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    // Ids of pending lists the server has answered (they stay pending: see FilterAsync).
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);

    private Mode _mode;
    private MemoryStream? _buffer;
    private bool _overflow;
    private bool _wrote;
    private bool _filtered;
    private bool _readEvent;

    private enum Mode
    {
        Undecided,
        Json,
        Sse,
        Drop,
    }

    /// <summary>
    /// The handshake method whose result the filter rewrites too (its capabilities) when the sidecar sends list_changed.
    /// Pending results are keyed by id like list results.
    /// </summary>
    public const string Initialize = "initialize";

    /// <summary>The capabilities whose <c>listChanged</c> the sidecar honours with its own notifications (<see cref="McpListChanges"/>).</summary>
    private static readonly string[] ListCapabilities = ["tools", "prompts", "resources"];

    /// <summary>The array member of each list method's result, and the member naming each item.</summary>
    public static bool IsListMethod(string? method) => ListMember(method) is not null;

    private static (string Array, string Key)? ListMember(string? method) => method switch
    {
        "tools/list" => ("tools", "name"),
        "prompts/list" => ("prompts", "name"),
        "resources/list" => ("resources", "uri"),
        "resources/templates/list" => ("resourceTemplates", "uriTemplate"),
        _ => null,
    };

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => throw new NotSupportedException("synchronous I/O");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        Decide();
        if (_mode == Mode.Sse && _buffer is null or { Length: 0 })
        {
            await inner.FlushAsync(cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Decide();
        switch (_mode)
        {
            case Mode.Json:
                if (!_overflow)
                {
                    if (_buffer!.Length + buffer.Length > maxBytes)
                    {
                        _overflow = true;
                        _buffer = new MemoryStream();
                    }
                    else
                    {
                        _buffer.Write(buffer.Span);
                    }
                }

                break;
            case Mode.Sse:
                await WriteSseAsync(buffer, cancellationToken);
                break;
        }
    }

    /// <summary>Called once the forwarder is done: writes the buffered JSON answer, or what is left of the stream.</summary>
    public async Task CompleteAsync()
    {
        var ct = context.RequestAborted;
        if (_mode == Mode.Undecided)
        {
            // No body at all (202 for a batch whose allowed part was notifications): answer the refused requests.
            if (errors.Count > 0 && !context.Response.HasStarted)
            {
                var body = batch ? JsonRpcWriter.Array(errors.Select(e => (ReadOnlyMemory<byte>)e)) : errors[0];
                context.Response.StatusCode = 200;
                context.Response.ContentType = JsonRpcWriter.JsonContentType;
                context.Response.ContentLength = body.Length;
                await inner.WriteAsync(body, ct);
            }

            return;
        }

        if (_mode == Mode.Json)
        {
            var body = await RewriteJsonAsync(ct);
            context.Response.ContentLength = body.Length;
            await inner.WriteAsync(body, ct);
            return;
        }

        // A partial event at the end of a stream is never dispatched (SSE); with a list pending it is dropped.
        if (_mode == Mode.Sse && _buffer is { Length: > 0 } && lists.Count == 0)
        {
            await inner.WriteAsync(_buffer.GetBuffer().AsMemory(0, (int)_buffer.Length), ct);
        }
    }

    private void Decide()
    {
        if (_mode != Mode.Undecided)
        {
            return;
        }

        var mediaType = context.Response.ContentType is { } ct ? ct.Split(';')[0].Trim() : string.Empty;
        _mode = string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase) ? Mode.Sse : Mode.Json;
        _buffer = new MemoryStream();

        // The body changes length: the upstream's Content-Length no longer applies.
        context.Response.ContentLength = null;
    }

    private async Task<byte[]> RewriteJsonAsync(CancellationToken ct)
    {
        var ok = context.Response.StatusCode is >= 200 and < 300;
        var original = _buffer!.ToArray();
        if (_overflow)
        {
            LogUnfiltered(logger, "too large");
            return AllListErrors("List result too large to filter");
        }

        var root = original.Length == 0 ? null : JsonText.ParseNode(original);

        if (root is null)
        {
            if (ok && lists.Count > 0)
            {
                LogUnfiltered(logger, "not JSON");
                return AllListErrors("List result unreadable");
            }

            // Not a list answer (an upstream error page): unchanged, with the refused requests' errors if any.
            return errors.Count == 0 ? original : JsonRpcWriter.Array(errors.Select(e => (ReadOnlyMemory<byte>)e));
        }

        (root, var changed) = await FilterMessagesAsync(root, ct);
        if (errors.Count > 0)
        {
            var all = root as JsonArray ?? new JsonArray(root);
            foreach (var error in errors)
            {
                all.Add(JsonNode.Parse(error));
            }

            root = all;
            changed = true;
        }

        if (!changed)
        {
            return original;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// Filters each message of an answer (one message, or a batch: a JSON body or one SSE event may be either) that
    /// answers a pending request. Returns the answer and whether anything in it changed.
    /// </summary>
    private async Task<(JsonNode Root, bool Changed)> FilterMessagesAsync(JsonNode root, CancellationToken ct)
    {
        var changed = false;
        _filtered = false;
        if (root is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject message && await FilterAsync(message, ct) is { } replaced)
                {
                    array[i] = replaced;
                    changed = true;
                }
            }
        }
        else if (root is JsonObject message && await FilterAsync(message, ct) is { } replaced)
        {
            root = replaced;
            changed = true;
        }

        return (root, changed || _filtered);
    }

    private byte[] AllListErrors(string message)
    {
        var all = lists.Values.Select(r => (ReadOnlyMemory<byte>)Error(r, message)).Concat(errors.Select(e => (ReadOnlyMemory<byte>)e)).ToList();
        lists.Clear();
        return all.Count == 1 && !batch ? all[0].ToArray() : JsonRpcWriter.Array(all);
    }

    /// <summary>The error that replaces a list result, with the id the agent sent.</summary>
    private static byte[] Error(PolicyRequest list, string message) => JsonRpcWriter.Error(list.Mcp!.Id, JsonRpcErrors.InternalError, message);

    /// <summary>
    /// Filters a list result in place when <paramref name="message"/> answers a pending list request; returns a
    /// replacement (an error) when it cannot, null when the message stays as it is (filtered or not a list answer).
    /// Pending lists stay pending: a second answer with the same id (from a server that sends one) is filtered too.
    /// </summary>
    private async Task<JsonNode?> FilterAsync(JsonObject message, CancellationToken ct)
    {
        if (JsonRpcId.Key(message["id"]) is not { } id || !lists.TryGetValue(id, out var request))
        {
            return null;
        }

        _answered.Add(id);

        if (message["result"] is not JsonObject result)
        {
            return null;
        }

        if (request.Mcp!.Method == Initialize)
        {
            _filtered |= DeclareListChanged(result);
            return null;
        }

        var (arrayName, key) = ListMember(request.Mcp.Method)!.Value;
        if (result[arrayName] is not JsonArray items)
        {
            return null;
        }

        _filtered = true;

        try
        {
            for (var i = items.Count - 1; i >= 0; i--)
            {
                var name = items[i] is JsonObject item && item[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                if (name is null || !await VisibleAsync(request, name, ct))
                {
                    items.RemoveAt(i);
                }
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogFilterFailed(logger, ex, request.ToolId);
            return JsonNode.Parse(Error(request, "Policy decision unavailable"));
        }

        return null;
    }

    /// <summary>
    /// The sidecar sends list_changed into the session this initialize result opens (McpListChanges): the result
    /// declares <c>listChanged: true</c> for tools, prompts and resources, so that clients honour those notifications.
    /// Only for capabilities the server declares (an object), and only when the server opened a session (the
    /// notifications travel on the session's GET stream) under a revision that has one. Returns whether it changed.
    /// </summary>
    private bool DeclareListChanged(JsonObject result)
    {
        if (McpHeaders.Single(context.Response.Headers, McpHeaders.SessionId, out _) is null
            || (result["protocolVersion"] is JsonValue v && v.TryGetValue<string>(out var version) && McpHeaders.IsJuly2026OrLater(version))
            || result["capabilities"] is not JsonObject capabilities)
        {
            return false;
        }

        var changed = false;
        foreach (var name in ListCapabilities)
        {
            if (capabilities[name] is JsonObject capability
                && !(capability["listChanged"] is JsonValue declared && declared.TryGetValue<bool>(out var on) && on))
            {
                capability["listChanged"] = true;
                changed = true;
            }
        }

        return changed;
    }

    private async Task<bool> VisibleAsync(PolicyRequest request, string name, CancellationToken ct)
    {
        var decision = await decisionPoint.DecideAsync(
            request with { Mcp = request.Mcp! with { Name = name, Arguments = null, Phase = McpContext.PhaseList } }, ct);
        return decision is { Allowed: true, RequireApproval: false };
    }

    private async Task WriteSseAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (!_wrote)
        {
            _wrote = true;
            foreach (var error in errors)
            {
                await WriteEventAsync(error, ct);
            }

            if (errors.Count > 0)
            {
                await inner.FlushAsync(ct);
            }
        }

        if (lists.Count == 0 && _buffer!.Length == 0)
        {
            // Nothing left to filter: relay as it comes.
            await inner.WriteAsync(data, ct);
            await inner.FlushAsync(ct);
            return;
        }

        _buffer!.Write(data.Span);
        while (TryTakeEvent(out var sseEvent))
        {
            if (lists.Count == 0)
            {
                await inner.WriteAsync(sseEvent, ct);
            }
            else if (await RewriteEventAsync(sseEvent, ct) is { } rewritten)
            {
                await inner.WriteAsync(rewritten, ct);
            }
            else
            {
                // Any event may be the list result: one the sidecar cannot read fails the pending lists.
                await DropAnsweringListsAsync("event not JSON", "List result unreadable", ct);
                return;
            }

            await inner.FlushAsync(ct);
        }

        if (_buffer.Length > maxBytes)
        {
            await DropAnsweringListsAsync("event too large", "List result too large to filter", ct);
        }
    }

    /// <summary>Answers every unanswered list with an error and drops the rest of the stream (which may still carry their results).</summary>
    private async Task DropAnsweringListsAsync(string why, string message, CancellationToken ct)
    {
        LogUnfiltered(logger, why);
        foreach (var (id, list) in lists)
        {
            if (!_answered.Contains(id))
            {
                await WriteEventAsync(Error(list, message), ct);
            }
        }

        lists.Clear();
        _buffer!.SetLength(0);
        _mode = Mode.Drop;
        await inner.FlushAsync(ct);
    }

    /// <summary>Takes one complete event (up to and including its blank line) off the buffer.</summary>
    private bool TryTakeEvent(out byte[] sseEvent)
    {
        var span = _buffer!.GetBuffer().AsSpan(0, (int)_buffer.Length);
        var end = EventBoundary(span);
        if (end < 0)
        {
            sseEvent = [];
            return false;
        }

        sseEvent = span[..end].ToArray();
        var rest = span[end..].ToArray();
        _buffer.SetLength(0);
        _buffer.Write(rest);
        return true;
    }

    /// <summary>The index just past the first blank line (LF LF, CR LF CR LF, CR CR, or mixed), or -1.</summary>
    internal static int EventBoundary(ReadOnlySpan<byte> span)
    {
        var lineStart = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var b = span[i];
            if (b is not ((byte)'\n' or (byte)'\r'))
            {
                continue;
            }

            var next = i + 1;
            if (b == '\r')
            {
                if (next == span.Length)
                {
                    return -1; // a CR that may be followed by LF: wait for more
                }

                if (span[next] == '\n')
                {
                    next++;
                }
            }

            if (i == lineStart)
            {
                return next; // an empty line ends the event
            }

            lineStart = next;
            i = next - 1;
        }

        return -1;
    }

    /// <summary>The event, rewritten when it carries a pending list result; null when its data is not JSON the filter can read.</summary>
    private async Task<byte[]?> RewriteEventAsync(byte[] sseEvent, CancellationToken ct)
    {
        // Lines end with CR LF, LF or a lone CR (SSE); an event's data is its data lines joined with LF. A client
        // drops one BOM at the start of the stream.
        var text = Encoding.UTF8.GetString(sseEvent).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (!_readEvent)
        {
            _readEvent = true;
            text = text.StartsWith('\uFEFF') ? text[1..] : text;
        }

        var lines = text.Split('\n');
        var data = string.Join('\n', lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal))
            .Select(l => l.Length > 5 && l[5] == ' ' ? l[6..] : l[5..]));
        if (data.Length == 0)
        {
            return sseEvent;
        }

        var node = JsonText.ParseNode(Encoding.UTF8.GetBytes(data));
        if (node is null)
        {
            return null;
        }

        var (answer, changed) = await FilterMessagesAsync(node, ct);
        if (!changed)
        {
            return sseEvent;
        }

        var json = answer.ToJsonString();
        var rebuilt = new StringBuilder();
        var dataWritten = false;
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (!dataWritten)
                {
                    rebuilt.Append("data: ").Append(json).Append('\n');
                    dataWritten = true;
                }
            }
            else
            {
                rebuilt.Append(line).Append('\n');
            }
        }

        rebuilt.Append('\n');
        return Encoding.UTF8.GetBytes(rebuilt.ToString());
    }

    private async Task WriteEventAsync(byte[] json, CancellationToken ct)
    {
        await inner.WriteAsync("event: message\ndata: "u8.ToArray(), ct);
        await inner.WriteAsync(json, ct);
        await inner.WriteAsync(EventEnd, ct);
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Warning, Message = "MCP list result could not be filtered ({Why}); answered with an error")]
    private static partial void LogUnfiltered(ILogger logger, string why);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Error, Message = "Policy decision failed while filtering an MCP list of tool {ToolId}; answered with an error")]
    private static partial void LogFilterFailed(ILogger logger, Exception exception, string toolId);
}
