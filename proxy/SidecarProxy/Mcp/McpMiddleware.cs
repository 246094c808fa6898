using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Spiffe;
using Yarp.ReverseProxy.Model;

namespace SidecarProxy.Mcp;

/// <summary>
/// The MCP stage, between the task context and the policy stage, for routes with <c>Metadata.Protocol = mcp</c>.
/// A POST is read whole (bounded), parsed as JSON-RPC and checked against the mirrored headers; each message is
/// decided by the policy with <c>input.mcp</c>. Refused requests are answered here as JSON-RPC errors and never
/// forwarded; what is allowed is forwarded (the original bytes, or a reduced batch) with an allowing decision for
/// the credential stage. List results in the response are filtered per item (<see cref="McpResponseFilter"/>).
/// GET (the 2025-11-25 server stream) and DELETE (session end) go through the ordinary policy stage with
/// <c>input.mcp.phase = "transport"</c>. Sessions are bound to the agent that opened them (<see cref="McpSessionStore"/>).
/// Fails closed: nothing malformed, unparsed or undecided is forwarded.
/// </summary>
internal sealed partial class McpMiddleware(
    RequestDelegate next,
    IOptions<McpOptions> options,
    IPolicyDecisionPoint decisionPoint,
    PolicyRequestFactory requests,
    McpSessionStore sessions,
    DenialResponder denials,
    ILogger<McpMiddleware> logger,
    McpListChanges listChanges,
    SidecarMetrics metrics,
    McpApprovals? approvals = null)
{
    private const string RefusedMessage = "Not found or not permitted";

    // Not async itself: a request to any other route passes without an async state machine of this stage.
    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (route is null || !McpRoute.IsMcp(route.Config) || context.FindTool() is null || context.FindPeerIdentity() is null)
        {
            return next(context);
        }

        return McpAsync(context);
    }

    private async Task McpAsync(HttpContext context)
    {
        var tool = context.GetTool();
        var agent = context.GetPeerIdentity().SpiffeId.ToString();
        var headers = context.Request.Headers;
        var session = McpHeaders.Single(headers, McpHeaders.SessionId, out var sessionRepeated);
        var headerVersion = McpHeaders.Single(headers, McpHeaders.ProtocolVersion, out var versionRepeated);
        if (sessionRepeated || versionRepeated)
        {
            await RefuseAsync(context, DenialCode.McpInvalidMessage, 400, null, JsonRpcErrors.InvalidRequest,
                "Invalid Request: Mcp-Session-Id and MCP-Protocol-Version must appear at most once");
            return;
        }

        if (session is not null)
        {
            var check = sessions.Check(tool.Id, session, agent);
            if (check != McpSessionCheck.Owned)
            {
                if (check == McpSessionCheck.Foreign)
                {
                    LogForeignSession(logger, tool.Id, agent);
                }

                // Same answer for a foreign and an unknown session: nothing tells the agent the id is in use.
                await RefuseAsync(context, DenialCode.McpSessionNotFound, 404, null, JsonRpcErrors.SessionNotFound, "Session not found");
                return;
            }
        }

        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await TransportAsync(context, tool.Id, agent, session, headerVersion);
            return;
        }

        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            await RefuseAsync(context, DenialCode.McpMessageTooLarge, 413, null, JsonRpcErrors.InvalidRequest,
                $"Request too large: an MCP message may have at most {options.Value.MaxMessageBytes} bytes");
            return;
        }

        var messages = JsonRpcParser.Parse(body, out var batch, out var errorCode, out var error, out var errorId);
        if (messages is null)
        {
            await RefuseAsync(context, DenialCode.McpInvalidMessage, 400, errorId, errorCode, error!);
            return;
        }

        if (batch)
        {
            if (McpHeaders.IsJuly2026OrLater(headerVersion))
            {
                await RefuseAsync(context, DenialCode.McpInvalidMessage, 400, null, JsonRpcErrors.InvalidRequest,
                    "Invalid Request: MCP 2026-07-28 has no batches");
                return;
            }

            if (headers.ContainsKey(McpHeaders.Method) || headers.ContainsKey(McpHeaders.Name))
            {
                await RefuseAsync(context, DenialCode.McpInvalidMessage, 400, null, JsonRpcErrors.HeaderMismatch,
                    "Header mismatch: Mcp-Method and Mcp-Name cannot describe a batch");
                return;
            }
        }
        else if (McpHeaders.Check(headers, messages[0], headerVersion) is { } mismatch)
        {
            await RefuseAsync(context, DenialCode.McpInvalidMessage, 400, messages[0].Id, JsonRpcErrors.HeaderMismatch, "Header mismatch: " + mismatch);
            return;
        }

        await DecideAsync(context, tool.Id, agent, session, headerVersion, body, messages, batch);
    }

    private async Task DecideAsync(
        HttpContext context, string toolId, string agent, string? session, string? headerVersion,
        byte[] body, IReadOnlyList<JsonRpcMessage> messages, bool batch)
    {
        var baseRequest = requests.Create(context, context.GetPeerIdentity(), context.GetTool(), context.FindTask());
        var outcomes = new Outcome[messages.Count];
        var rewritten = false;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var mcp = ContextFor(message, session, headerVersion);
            if (message.Kind == JsonRpcKind.Request && McpHeaders.NameParameter(message.Method) is { } parameter && mcp.Name is null)
            {
                outcomes[i] = new Outcome(message, mcp, null, JsonRpcErrors.InvalidParams, $"Invalid params: {parameter} must be a string", DenialCode.McpInvalidMessage);
                continue;
            }

            if (mcp.Arguments is { ValueKind: not JsonValueKind.Object })
            {
                outcomes[i] = new Outcome(message, mcp, null, JsonRpcErrors.InvalidParams, "Invalid params: arguments must be an object", DenialCode.McpInvalidMessage);
                continue;
            }

            var request = baseRequest with { Mcp = mcp };
            PolicyDecision decision;
            try
            {
                decision = await decisionPoint.DecideAsync(request, context.RequestAborted);
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogDecisionFailed(logger, ex, toolId, message.Method);
                Audit(context, outcomes.Take(i).Append(new Outcome(message, mcp, null, 0, null, DenialCode.PolicyUnavailable)).ToArray());
                await RefuseAsync(context, DenialCode.PolicyUnavailable, 503, batch ? null : message.Id, JsonRpcErrors.InternalError,
                    "Policy decision unavailable");
                return;
            }

            if (decision.RequireApproval && message.Kind == JsonRpcKind.Request && approvals is { Enabled: true })
            {
                // Approvals in MCP's terms (a URL elicitation or input-required result); a retry may come back allowed.
                var gated = await approvals.GateAsync(context, request, decision, message, mcp);
                if (gated.Allowed)
                {
                    rewritten |= !gated.Raw.Equals(message.Raw);
                    outcomes[i] = new Outcome(message with { Raw = gated.Raw }, mcp, gated.Decision, 0, null, null);
                }
                else
                {
                    outcomes[i] = new Outcome(message, mcp, decision, JsonRpcErrors.Refused, "Approval required", gated.Code) { Answer = gated.Answer };
                }

                continue;
            }

            outcomes[i] = decision switch
            {
                { RequireApproval: true } => new Outcome(message, mcp, decision, JsonRpcErrors.Refused, "Approval required", DenialCode.ApprovalRequired),
                { Allowed: true } => new Outcome(message, mcp, decision, 0, null, null),
                _ => new Outcome(message, mcp, decision, JsonRpcErrors.Refused, RefusedMessage, DenialCode.PolicyDenied),
            };
        }

        Audit(context, outcomes);
        var allowed = outcomes.Where(o => o.Refusal is null).ToList();
        var refused = outcomes.Where(o => o.Refusal is not null).ToList();
        var errors = refused
            .Where(o => o.Message.Kind == JsonRpcKind.Request)
            .Select(o => o.Answer ?? JsonRpcWriter.Error(o.Message.Id, o.ErrorCode, o.ErrorMessage!, o.Refusal == DenialCode.McpInvalidMessage ? null : o.Refusal!.Value))
            .ToList();

        if (allowed.Count == 0)
        {
            var first = refused[0];
            if (first.Decision is { } refusedDecision)
            {
                context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(baseRequest with { Mcp = first.Mcp }, refusedDecision));
            }

            denials.Record(context, first.Refusal!);
            if (errors.Count == 0)
            {
                // Only notifications or responses, which JSON-RPC never answers: refuse the POST itself.
                var status = first.Refusal == DenialCode.McpInvalidMessage ? 400 : 403;
                await JsonRpcWriter.WriteAsync(context, status, JsonRpcWriter.Error(null, first.ErrorCode, first.ErrorMessage!, first.Refusal!.Value));
                return;
            }

            await JsonRpcWriter.WriteAsync(context, 200, batch ? JsonRpcWriter.Array(errors.Select(e => (ReadOnlyMemory<byte>)e)) : errors[0]);
            return;
        }

        var forward = refused.Count == 0 && !rewritten ? body
            : batch ? JsonRpcWriter.Array(allowed.Select(o => o.Message.Raw))
            : allowed[0].Message.Raw.ToArray();
        context.Features.Set<IPolicyDecisionFeature>(new PolicyDecisionFeature(baseRequest with { Mcp = allowed[0].Mcp }, Merge(allowed)));
        context.FindOutcome()?.Allow();
        context.Request.Body = new MemoryStream(forward, writable: false);
        context.Request.ContentLength = forward.Length;
        context.Request.Headers.Remove("Transfer-Encoding");

        // List requests whose results the policy filters per item, by id (JsonRpcId: as clients match answers).
        var lists = new Dictionary<string, PolicyRequest>(StringComparer.Ordinal);
        foreach (var outcome in allowed)
        {
            if (outcome.Message.Kind == JsonRpcKind.Request && McpResponseFilter.IsListMethod(outcome.Message.Method))
            {
                if (session is not null)
                {
                    // The session now holds a filtered view: a policy change tells it to list again.
                    listChanges.Listed(toolId, session, outcome.Message.Method!);
                }

                lists[JsonRpcId.Key(outcome.Message.Id!.Value)] = baseRequest with { Mcp = outcome.Mcp };
            }
            else if (outcome.Message is { Kind: JsonRpcKind.Request, Method: McpResponseFilter.Initialize } && session is null && listChanges.Sends)
            {
                // The sidecar will send list_changed into the session this opens: its result must declare that it does.
                lists[JsonRpcId.Key(outcome.Message.Id!.Value)] = baseRequest with { Mcp = outcome.Mcp };
            }
        }

        BindSessionOnResponse(context, toolId, agent, session);
        if (lists.Count == 0 && errors.Count == 0)
        {
            await next(context);
            return;
        }

        var original = context.Response.Body;
        var filter = new McpResponseFilter(context, original, lists, errors, batch, decisionPoint, options.Value.MaxListResponseBytes, logger);
        context.Response.Body = filter;
        try
        {
            await next(context);
            await filter.CompleteAsync();
        }
        finally
        {
            context.Response.Body = original;
        }
    }

    /// <summary>GET (server stream) and DELETE (session end): decided by the policy stage with a transport context.</summary>
    private async Task TransportAsync(HttpContext context, string toolId, string agent, string? session, string? headerVersion)
    {
        context.Features.Set<IMcpPolicyFeature>(new McpPolicyFeature(new McpContext
        {
            ProtocolVersion = headerVersion,
            Session = session,
            Phase = McpContext.PhaseTransport,
        }));
        if (context.FindOutcome() is { } audit)
        {
            audit.Mcp = [new McpAuditEntry(null, null, McpContext.PhaseTransport)];
        }
        BindSessionOnResponse(context, toolId, agent, session);
        if (session is not null && HttpMethods.IsGet(context.Request.Method))
        {
            // The session's server stream: the sidecar's list_changed notifications travel on it (McpListChanges).
            var original = context.Response.Body;
            await using var stream = new McpServerStream(context, original, metrics);
            context.Response.Body = stream;
            listChanges.Opened(toolId, session, stream);
            try
            {
                await next(context);
            }
            finally
            {
                listChanges.Closed(toolId, session, stream);
                await stream.CloseAsync();
                context.Response.Body = original;
            }

            return;
        }

        await next(context);
        if (session is not null && HttpMethods.IsDelete(context.Request.Method) && context.Response.StatusCode is >= 200 and < 300)
        {
            sessions.Remove(toolId, session, agent);
            listChanges.Forget(toolId, session);
        }
    }

    /// <summary>A session id the server issues in a response is bound to this agent before the agent can read it.</summary>
    private void BindSessionOnResponse(HttpContext context, string toolId, string agent, string? requestSession)
    {
        if (requestSession is not null)
        {
            return;
        }

        context.Response.OnStarting(() =>
        {
            var issued = McpHeaders.Single(context.Response.Headers, McpHeaders.SessionId, out _);
            if (issued is not null && !sessions.Bind(toolId, issued, agent))
            {
                // The server handed out an id that is bound to another agent: never give it to this one.
                LogSessionCollision(logger, toolId);
                context.Response.Headers.Remove(McpHeaders.SessionId);
            }

            return Task.CompletedTask;
        });
    }

    private static McpContext ContextFor(JsonRpcMessage message, string? session, string? headerVersion)
    {
        var parameter = McpHeaders.NameParameter(message.Method);
        JsonElement? arguments = null;
        if (message.Method is "tools/call" or "prompts/get" && message.Params is { } p && p.TryGetProperty("arguments", out var a)
            && a.ValueKind != JsonValueKind.Null)
        {
            arguments = a;
        }

        return new McpContext
        {
            ProtocolVersion = headerVersion ?? McpHeaders.BodyProtocolVersion(message),
            Method = message.Method,
            Id = message.Id,
            Name = parameter is null ? null : message.ParamString(parameter),
            Arguments = arguments,
            Session = session,
            Phase = message.Kind switch
            {
                JsonRpcKind.Request => McpContext.PhaseCall,
                JsonRpcKind.Notification => McpContext.PhaseNotification,
                _ => McpContext.PhaseResponse,
            },
        };
    }

    /// <summary>
    /// The decision the forwarded request carries to the credential stage: one message's own, or for a batch the
    /// union of the scopes and the shortest TTL of the allowed messages (headers and the rest from the first).
    /// </summary>
    private static PolicyDecision Merge(List<Outcome> allowed)
    {
        var first = allowed[0].Decision!;
        if (allowed.Count == 1)
        {
            return first;
        }

        var ttls = allowed.Select(o => o.Decision!.CredentialTtl).Where(t => t is not null).ToList();
        return first with
        {
            Scopes = [.. allowed.SelectMany(o => o.Decision!.Scopes).Distinct(StringComparer.Ordinal)],
            CredentialTtl = ttls.Count == 0 ? null : ttls.Min(),
        };
    }

    private static void Audit(HttpContext context, IReadOnlyList<Outcome?> outcomes)
    {
        if (context.FindOutcome() is { } audit)
        {
            audit.Mcp = [.. outcomes.Where(o => o is not null).Select(o => new McpAuditEntry(
                o!.Message.Method, o.Mcp.Name,
                o.Refusal is null ? "allow" : o.Refusal == DenialCode.McpInvalidMessage ? "invalid" : "deny"))];
        }
    }

    /// <summary>The body, or null when it is larger than the limit (read no further than one byte past it).</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        var max = options.Value.MaxMessageBytes;
        if (context.Request.ContentLength > max)
        {
            return null;
        }

        using var buffer = new MemoryStream(context.Request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task RefuseAsync(HttpContext context, DenialCode code, int status, JsonElement? id, int errorCode, string message)
    {
        denials.Record(context, code);
        await JsonRpcWriter.WriteAsync(context, status, JsonRpcWriter.Error(id, errorCode, message, code.Value));
    }

    private sealed record Outcome(
        JsonRpcMessage Message, McpContext Mcp, PolicyDecision? Decision, int ErrorCode, string? ErrorMessage, DenialCode? Refusal)
    {
        /// <summary>The sidecar's own answer to a refused request, when it is not the plain error (approvals).</summary>
        public byte[]? Answer { get; init; }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Error, Message = "Policy decision failed for MCP method {McpMethod} of tool {ToolId}; refusing")]
    private static partial void LogDecisionFailed(ILogger logger, Exception exception, string toolId, string? mcpMethod);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "MCP session of another agent presented on tool {ToolId} by {SpiffeId}; refused")]
    private static partial void LogForeignSession(ILogger logger, string toolId, string spiffeId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "MCP server of tool {ToolId} issued a session id already bound to another agent; removed from the response")]
    private static partial void LogSessionCollision(ILogger logger, string toolId);
}
