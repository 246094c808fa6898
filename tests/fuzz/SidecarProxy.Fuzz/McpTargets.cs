using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;

namespace SidecarProxy.Fuzz;

/// <summary>
/// The MCP stage's readers: an agent's POST (<c>mcp</c>) and an MCP server's answer (<c>sse</c>). Invariants are
/// checked against what an agent sees (<see cref="AgentView"/>: the SSE spec, a lenient JSON reader), not against
/// the sidecar's own readers.
/// </summary>
internal static partial class Targets
{
    private const string ProtocolVersionHeader = "MCP-Protocol-Version";

    /// <summary>
    /// <c>[HEADER LINES NUL] BODY</c>: <c>JsonRpcParser.Parse</c> on the body, as the MCP stage uses it (null with
    /// -32700 or -32600 and a message is its one rejection; it never throws); then what the stage does with the
    /// result without a policy: the header/body agreement (<c>McpHeaders.Check</c>, on a single message, with the
    /// header lines as <c>Name: value</c>), the per-message reads (name, arguments, protocol version), the error it
    /// answers with, the reduced batch it forwards. <c>McpHeaders.TryDecode</c> (the <c>=?base64?...?=</c> form) runs
    /// on every header value: false is its rejection.
    /// </summary>
    private static void Mcp(byte[] input)
    {
        var split = Array.IndexOf(input, (byte)0);
        var headers = new HeaderDictionary();
        if (split >= 0)
        {
            foreach (var line in Text(input[..split]).Split('\n'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var name = colon > 0 ? line[..colon].Trim() : string.Empty;
                if (name.Length > 0)
                {
                    headers.Append(name, line[(colon + 1)..].Trim());
                    CheckHeaderDecoding(line[(colon + 1)..].Trim());
                }
            }
        }

        var body = split >= 0 ? input.AsMemory(split + 1) : input.AsMemory();
        var messages = JsonRpcParser.Parse(body, out var batch, out var errorCode, out var error, out var errorId);
        using var document = AgentView.Json(body, JsonRpcMaxDepth);
        if (messages is null)
        {
            Check(error is not null && errorCode is JsonRpcErrors.ParseError or JsonRpcErrors.InvalidRequest, "a rejection without a JSON-RPC error");
            // -32700: not JSON, a string that is not valid Unicode, or a member named twice in one object.
            Check((errorCode == JsonRpcErrors.ParseError) == (document is null || !AgentView.IsValidUnicode(body.Span, document.RootElement)
                    || AgentView.HasRepeatedMemberName(document.RootElement)),
                "Parse error disagrees with the JSON reader");
            Check(errorId is null || errorId.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number, "the rejection's id is not a string or number");
            CheckAnswer(errorId, errorCode, error!);
            Debug("rejected: " + error);
            return;
        }

        // errorId is only meaningful with a rejection (on success it is the last message's id).
        Check(errorCode == 0 && error is null, "an accepted body with an error");
        Check(document is not null && AgentView.IsValidUnicode(body.Span, document.RootElement), "accepted what the JSON reader rejects, or strings that are not Unicode");
        Check(!AgentView.HasRepeatedMemberName(document!.RootElement), "accepted an object that names a member twice");
        var root = document!.RootElement;
        Check(batch == (root.ValueKind == JsonValueKind.Array), "batch flag disagrees with the body");
        Check(messages.Count == (batch ? root.GetArrayLength() : 1), "message count differs from the body's");
        for (var i = 0; i < messages.Count; i++)
        {
            CheckMessage(messages[i], batch ? root[i] : root, body);
        }

        // Answers are matched to requests by id, by value as a client matches them.
        var requests = messages.Where(m => m.Kind == JsonRpcKind.Request).ToList();
        Check(!requests.Where((m, i) => requests.Skip(i + 1).Any(other => AgentView.IdEquals(m.Id!.Value, other.Id!.Value))).Any(),
            "a batch with two requests of the same id was accepted");

        // A partly refused batch is forwarded as the allowed messages' bytes in a new array.
        using (var forwarded = AgentView.Json(JsonRpcWriter.Array(messages.Select(m => m.Raw)), JsonRpcMaxDepth + 1))
        {
            Check(forwarded is { RootElement.ValueKind: JsonValueKind.Array } && forwarded.RootElement.GetArrayLength() == messages.Count,
                "the reduced batch is not an array of the messages");
        }

        if (!batch && McpHeaders.Single(headers, ProtocolVersionHeader, out var versionRepeated) is var headerVersion && !versionRepeated)
        {
            CheckHeaders(headers, messages[0], headerVersion);
        }

        Debug((batch ? "batch of " : string.Empty) + string.Join(", ", messages.Select(m => m.Kind + " " + m.Method)));
    }

    // What JsonRpcParser allows (JsonDocumentOptions.MaxDepth there).
    private const int JsonRpcMaxDepth = 64;

    private static void CheckMessage(JsonRpcMessage message, JsonElement element, ReadOnlyMemory<byte> body)
    {
        Check(element.ValueKind == JsonValueKind.Object, "a message that is not an object");
        switch (message.Kind)
        {
            case JsonRpcKind.Request:
                Check(!string.IsNullOrEmpty(message.Method) && message.Id is not null, "a request without method or id");
                break;
            case JsonRpcKind.Notification:
                Check(!string.IsNullOrEmpty(message.Method) && message.Id is null, "a notification without method, or with an id");
                break;
            default:
                Check(message.Method is null && message.Id is not null, "a response with a method or without an id");
                Check(AgentView.Member(element, "result", out _) != AgentView.Member(element, "error", out _), "a response without exactly one of result and error");
                break;
        }

        Check(message.Id is not { } id || (id.ValueKind is JsonValueKind.String or JsonValueKind.Number
            && AgentView.Member(element, "id", out var bodyId) && AgentView.JsonEquals(id, bodyId)), "the id does not round-trip");
        Check(message.Params is not { } p || (p.ValueKind == JsonValueKind.Object
            && AgentView.Member(element, "params", out var bodyParams) && AgentView.JsonEquals(p, bodyParams)), "params do not round-trip");
        Check(body.Span.IndexOf(message.Raw.Span) >= 0, "Raw is not the body's text of the message");

        // Raw is forwarded as is: it parses again to the same message.
        var again = JsonRpcParser.Parse(message.Raw, out var batch, out _, out var error, out _);
        Check(again is { Count: 1 } && !batch, "a message's Raw does not parse again: " + error);
        var same = again![0];
        Check(same.Kind == message.Kind && same.Method == message.Method
            && same.Id?.GetRawText() == message.Id?.GetRawText() && same.Params?.GetRawText() == message.Params?.GetRawText(),
            "a message's Raw parses to another message");

        // What the stage reads of each message for the policy input (McpMiddleware.ContextFor).
        if (McpHeaders.NameParameter(message.Method) is { } parameter)
        {
            _ = message.ParamString(parameter);
        }

        _ = McpHeaders.BodyProtocolVersion(message);
        if (message.Params is { } withArguments && withArguments.TryGetProperty("arguments", out var arguments))
        {
            _ = arguments.ValueKind;
        }

        // A refused request is answered with its id.
        if (message.Kind == JsonRpcKind.Request)
        {
            CheckAnswer(message.Id, JsonRpcErrors.Refused, "Not found or not permitted");
        }
    }

    /// <summary>The sidecar's JSON-RPC error for this id: valid JSON, the id as sent (JSON-RPC null when none).</summary>
    private static void CheckAnswer(JsonElement? id, int code, string message)
    {
        var answer = JsonRpcWriter.Error(id, code, message, "mcp_invalid_message");
        using var document = AgentView.Json(answer, JsonRpcMaxDepth + 1);
        Check(document is not null, "the sidecar's error is not JSON");
        var root = document!.RootElement;
        Check(AgentView.Member(root, "id", out var answered)
            && (id is { } sent ? AgentView.JsonEquals(sent, answered) : answered.ValueKind == JsonValueKind.Null), "the error's id is not the request's");
        Check(AgentView.Member(root, "error", out var e) && AgentView.Member(e, "code", out var c) && c.TryGetInt32(out var n) && n == code, "the error's code is lost");
    }

    /// <summary><c>McpHeaders.Check</c> on a single message: when it finds no mismatch, the headers do agree with the body.</summary>
    private static void CheckHeaders(HeaderDictionary headers, JsonRpcMessage message, string? headerVersion)
    {
        var mismatch = McpHeaders.Check(headers, message, headerVersion);
        var methods = headers["Mcp-Method"];
        var names = headers["Mcp-Name"];
        Check(mismatch is not null || (methods.Count <= 1 && names.Count <= 1), "a repeated Mcp-Method or Mcp-Name was accepted");
        Debug(mismatch ?? "headers agree");
        if (mismatch is not null)
        {
            return;
        }

        if (methods.Count == 1)
        {
            Check(message.Kind != JsonRpcKind.Response && methods[0] == message.Method, "Mcp-Method accepted but not the body's method");
        }

        var parameter = McpHeaders.NameParameter(message.Method);
        if (names.Count == 1)
        {
            Check(McpHeaders.TryDecode(names[0]!, out var decoded) && parameter is not null && decoded == message.ParamString(parameter),
                "Mcp-Name accepted but not the body's name");
        }

        var bodyVersion = McpHeaders.BodyProtocolVersion(message);
        var modern = McpHeaders.IsJuly2026OrLater(headerVersion) || McpHeaders.IsJuly2026OrLater(bodyVersion);
        if (modern && message.Kind == JsonRpcKind.Request)
        {
            Check(methods.Count == 1, "2026-07-28 request accepted without Mcp-Method");
            Check(names.Count == 1 || !McpHeaders.RequiresName(message.Method), "2026-07-28 request accepted without Mcp-Name");
        }

        if (headerVersion is not null && bodyVersion is not null && message.Method != "initialize")
        {
            Check(headerVersion == bodyVersion, "MCP-Protocol-Version accepted but not the body's");
        }
    }

    /// <summary>
    /// <c>McpHeaders.TryDecode</c> against an independent decoder: a value outside the <c>=?base64?...?=</c> form is
    /// itself; inside it, the payload must be base64 of strict UTF-8; a decoded value encodes back to itself.
    /// </summary>
    private static void CheckHeaderDecoding(string value)
    {
        var ok = McpHeaders.TryDecode(value, out var decoded);
        const string Prefix = "=?base64?";
        const string Suffix = "?=";
        if (!value.StartsWith(Prefix, StringComparison.Ordinal) || !value.EndsWith(Suffix, StringComparison.Ordinal)
            || value.Length < Prefix.Length + Suffix.Length)
        {
            Check(ok && decoded == value, "a plain header value was changed by decoding");
            return;
        }

        string? expected;
        try
        {
            expected = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(value[Prefix.Length..^Suffix.Length]));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            expected = null;
        }

        Check(ok == (expected is not null) && (!ok || decoded == expected), "TryDecode disagrees with base64 + strict UTF-8");
        if (ok)
        {
            var encoded = Prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(decoded)) + Suffix;
            Check(McpHeaders.TryDecode(encoded, out var again) && again == decoded, "a decoded name does not encode back");
        }
    }

    // ----- sse -----

    /// <summary>The limit of the list filter here (Sidecar:Mcp:MaxListResponseBytes): small, so afl reaches the overflow paths.</summary>
    private const int MaxListBytes = 2048;

    /// <summary>How the server's bytes are cut into writes (cycled): odd sizes split CR LF pairs and events.</summary>
    private static readonly int[] ChunkSizes = [1, 7, 2, 64, 3, 13];

    private static readonly byte[] DefaultListRequest = """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"""u8.ToArray();

    /// <summary>
    /// <c>[AGENT POST NUL] SERVER ANSWER</c> (without NUL, the POST is one <c>tools/list</c> with id 1). The answer
    /// goes through the SSE event splitter (<c>McpResponseFilter.EventBoundary</c>), the session stream relay
    /// (<c>McpServerStream</c>, a sidecar notification put in mid-stream) and the list filter (<c>McpResponseFilter</c>,
    /// as <c>text/event-stream</c>, or <c>application/json</c> when it starts with <c>{</c> or <c>[</c>), with the
    /// pending lists the MCP stage would keep for the POST and a fixed policy: an item is visible when its name has an
    /// even length; a <c>tools/call</c> of an odd-length name is refused. None of them has a rejection: every exception
    /// escapes. What the agent then reads (SSE as the spec parses it, JSON leniently) must hold no refused item, each
    /// answer must be the server's answer with only the refused items removed (nextCursor kept), and the output must
    /// not depend on how the server's bytes were cut into writes.
    /// </summary>
    private static void Sse(byte[] input)
    {
        var split = Array.IndexOf(input, (byte)0);
        var post = split >= 0 ? input[..split] : DefaultListRequest;
        var answer = split >= 0 ? input[(split + 1)..] : input;

        CheckEventSplitter(answer);
        CheckServerStream(answer);

        var pending = PendingLists.For(post);
        if (pending is null)
        {
            Debug("no filter for this POST");
            return;
        }

        var json = answer.AsSpan().TrimStart(" \t\r\n"u8) is [(byte)'{' or (byte)'[', ..];
        var whole = Filter(answer, json, pending, [Math.Max(answer.Length, 1)]);
        if (answer.Length <= MaxListBytes)
        {
            Check(whole.AsSpan().SequenceEqual(Filter(answer, json, pending, ChunkSizes)), "the filtered answer depends on how the server's bytes were cut");
        }

        CheckWhatTheAgentReads(answer, whole, json, pending);
    }

    /// <summary>EventBoundary against the spec's line splitting, event after event.</summary>
    private static void CheckEventSplitter(byte[] stream)
    {
        var position = 0;
        while (true)
        {
            var rest = stream.AsSpan(position);
            var end = McpResponseFilter.EventBoundary(rest);
            Check(end == AgentView.EventEnd(rest), "EventBoundary differs from the spec's first blank line");
            if (end < 0)
            {
                return;
            }

            Check(end > 0 && end <= rest.Length, "EventBoundary out of range");
            position += end;
        }
    }

    private static readonly Lazy<SidecarMetrics> Metrics = new(() => new SidecarMetrics());

    /// <summary>
    /// McpServerStream relays the server's bytes unchanged and puts a sidecar notification between two events, at
    /// the first write after which no event is partly relayed (Notify is called after the first write).
    /// </summary>
    private static void CheckServerStream(byte[] stream)
    {
        var context = EventStreamContext();
        using var output = new MemoryStream();
        var notification = McpNotification.Of("notifications/tools/list_changed");
        var writeEnds = new List<int>();
        using (var relay = new McpServerStream(context, output, Metrics.Value))
        {
            var written = 0;
            foreach (var chunk in Chunks(stream, ChunkSizes))
            {
                relay.WriteAsync(chunk).AsTask().GetAwaiter().GetResult();
                written += chunk.Length;
                writeEnds.Add(written);
                if (writeEnds.Count == 1)
                {
                    relay.Notify([notification]);
                }
            }

            if (writeEnds.Count == 0)
            {
                writeEnds.Add(0);
                relay.Notify([notification]);
            }

            relay.CloseAsync().GetAwaiter().GetResult();
        }

        // Between events: after a write that ended on an event's end, unless that end is a CR (an LF may follow).
        var ends = AgentView.EventEnds(stream);
        var at = writeEnds.Cast<int?>().FirstOrDefault(e => e == 0 || (ends.Contains(e!.Value) && stream[e.Value - 1] != (byte)'\r'));
        var inserted = Encoding.UTF8.GetBytes("event: message\ndata: " + notification.Json + "\n\n");
        var expected = at is { } k ? [.. stream[..k], .. inserted, .. stream[k..]] : stream;
        Check(output.ToArray().AsSpan().SequenceEqual(expected), "the session stream changed the server's events or put the notification inside one");
    }

    private static DefaultHttpContext EventStreamContext()
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        return context;
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] data, int[] sizes)
    {
        var position = 0;
        for (var i = 0; position < data.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], data.Length - position);
            yield return data.AsMemory(position, size);
            position += size;
        }
    }

    private static byte[] Filter(byte[] answer, bool json, PendingLists pending, int[] chunkSizes)
    {
        var context = new DefaultHttpContext();
        context.Response.StatusCode = 200;
        context.Response.ContentType = json ? "application/json" : "text/event-stream; charset=utf-8";

        // The server opened a session: an initialize result gets listChanged declared.
        context.Response.Headers["Mcp-Session-Id"] = "fuzz-session";
        using var output = new MemoryStream();
        var filter = new McpResponseFilter(context, output, pending.Lists(), [.. pending.Errors], pending.Batch, ListPolicy.Instance, MaxListBytes, NullLogger.Instance);
        foreach (var chunk in Chunks(answer, chunkSizes))
        {
            filter.WriteAsync(chunk).AsTask().GetAwaiter().GetResult();
        }

        filter.CompleteAsync().GetAwaiter().GetResult();
        return output.ToArray();
    }

    private static void CheckWhatTheAgentReads(byte[] answer, byte[] output, bool json, PendingLists pending)
    {
        if (json)
        {
            using var check = AgentView.Json(AgentView.Decode(output), AgentView.LenientDepth);
            Check(check is not null || !pending.HasLists, "the filtered JSON answer is not JSON");
        }

        var before = AgentView.Messages(answer, json);
        var after = AgentView.Messages(output, json);
        try
        {
            var answers = 0;
            foreach (var message in after.Messages)
            {
                if (!AgentView.Member(message, "id", out var id) || !AgentView.Member(message, "result", out var result) || result.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var lists = pending.Requests.Where(r => r.Member is not null && AgentView.IdEquals(r.Id, id)).ToList();
                foreach (var (array, key) in lists.Select(r => r.Member!.Value))
                {
                    if (AgentView.Member(result, array, out var items) && items.ValueKind == JsonValueKind.Array)
                    {
                        Check(items.EnumerateArray().All(item => ListPolicy.Visible(item, key)), "a list item the policy refused reached the agent");
                    }
                }

                if (lists.Count == 1)
                {
                    answers++;
                    var (array, key) = lists[0].Member!.Value;
                    Check(before.Messages.Any(m => AgentView.Member(m, "id", out var i) && AgentView.IdEquals(i, id)
                        && AgentView.Member(m, "result", out var r) && r.ValueKind == JsonValueKind.Object && AgentView.IsFiltered(r, result, array, key, ListPolicy.Visible)),
                        "a list answer is not the server's with the refused items removed (nextCursor or another member lost)");
                }
            }

            Debug($"{after.Messages.Count} message(s) to the agent, {answers} list answer(s)");
        }
        finally
        {
            before.Dispose();
            after.Dispose();
        }
    }

    /// <summary>The POST as the MCP stage keeps it for the response: pending list requests by id text, the refused requests' errors.</summary>
    private sealed class PendingLists
    {
        private readonly List<(string Key, string Method, JsonElement Id)> _lists = [];

        public List<(JsonElement Id, (string Array, string Key)? Member)> Requests { get; } = [];

        public List<byte[]> Errors { get; } = [];

        public bool Batch { get; private init; }

        public bool HasLists => _lists.Count > 0;

        public static PendingLists? For(byte[] post)
        {
            var messages = JsonRpcParser.Parse(post, out var batch, out _, out _, out _);
            if (messages is null)
            {
                return null;
            }

            var pending = new PendingLists { Batch = batch };
            var allowed = 0;
            foreach (var message in messages)
            {
                if (message.Kind != JsonRpcKind.Request)
                {
                    allowed++;
                    continue;
                }

                // As McpMiddleware: a call without a string name is invalid; this policy refuses odd-length names.
                if (McpHeaders.NameParameter(message.Method) is { } parameter)
                {
                    var name = message.ParamString(parameter);
                    if (name is null || name.Length % 2 == 1)
                    {
                        pending.Errors.Add(JsonRpcWriter.Error(message.Id, name is null ? JsonRpcErrors.InvalidParams : JsonRpcErrors.Refused, "refused"));
                        continue;
                    }
                }

                allowed++;
                var member = ListMember(message.Method);
                pending.Requests.Add((message.Id!.Value, member));
                if (member is not null || message.Method == "initialize")
                {
                    pending._lists.Add((JsonRpcId.Key(message.Id.Value), message.Method!, message.Id.Value));
                }
            }

            return allowed == 0 || (pending._lists.Count == 0 && pending.Errors.Count == 0) ? null : pending;
        }

        /// <summary>A fresh dictionary (the filter may clear it), built as McpMiddleware builds it.</summary>
        public Dictionary<string, PolicyRequest> Lists()
        {
            var lists = new Dictionary<string, PolicyRequest>(StringComparer.Ordinal);
            foreach (var (key, method, id) in _lists)
            {
                lists[key] = ListPolicy.Request.Value with { Mcp = new McpContext { Method = method, Id = id, Phase = McpContext.PhaseCall } };
            }

            return lists;
        }

        // The member each list method's result carries its items in, and the item's name member (docs/mcp.md).
        private static (string Array, string Key)? ListMember(string? method) => method switch
        {
            "tools/list" => ("tools", "name"),
            "prompts/list" => ("prompts", "name"),
            "resources/list" => ("resources", "uri"),
            "resources/templates/list" => ("resourceTemplates", "uriTemplate"),
            _ => null,
        };
    }

    /// <summary>The fixed policy of the sse target: a list item is visible when its name has an even length.</summary>
    private sealed class ListPolicy : IPolicyDecisionPoint
    {
        public static readonly ListPolicy Instance = new();

        public static readonly Lazy<PolicyRequest> Request = new(() => new PolicyRequest
        {
            SpiffeId = "spiffe://agents.example.org/agent/researcher",
            CertificateFingerprint = "sha256:00",
            ToolId = "mcp-fuzz",
            ToolLabels = new Dictionary<string, string>(StringComparer.Ordinal),
            Method = "POST",
            Path = "/mcp",
            Query = string.Empty,
            Host = "mcp.example.org",
            Scheme = "https",
            Headers = new Dictionary<string, string>(StringComparer.Ordinal),
            Time = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
        });

        private static readonly Lazy<PolicyDecision> Allow = new(() => new PolicyDecision { Allowed = true });
        private static readonly Lazy<PolicyDecision> Deny = new(() => new PolicyDecision { Allowed = false });

        /// <summary>The same rule on what the agent reads (names as JavaScript sees them: UTF-16 code units).</summary>
        public static bool Visible(JsonElement item, string key) =>
            item.ValueKind == JsonValueKind.Object && AgentView.Member(item, key, out var name) && name.ValueKind == JsonValueKind.String
            && AgentView.Unescape(name.GetRawText()).Length % 2 == 0;

        public ValueTask<PolicyDecision> DecideAsync(PolicyRequest request, CancellationToken ct)
        {
            Check(request.Mcp is { Phase: McpContext.PhaseList, Name: not null }, "a list item decided without phase list and a name");
            return ValueTask.FromResult(request.Mcp!.Name!.Length % 2 == 0 ? Allow.Value : Deny.Value);
        }
    }
}
