using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Denials;
using SidecarProxy.Admin;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Routing;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Approvals;

/// <summary>
/// The approval stage, called by the policy stage when a decision says <c>require_approval</c>. It binds the
/// request to an approval by digest (<see cref="ApprovalDigest"/>; the body is buffered up to
/// <c>MaxBodyBytes</c>), then either refuses it with an approval id (refuse mode), holds it until people decide
/// (hold mode), or, for a retry carrying <c>X-Approval-Id</c>, consumes the approval and asks the policy again
/// with <c>input.approval</c>. Fails closed: whatever goes wrong, nothing is forwarded.
/// </summary>
internal sealed partial class ApprovalGate(
    IApprovalStore store,
    IOptions<ApprovalOptions> options,
    IOptions<AdminOptions> admin,
    IListenerUrls listeners,
    IPolicyDecisionPoint decisionPoint,
    DenialResponder denials,
    SidecarMetrics metrics,
    ApprovalMonitor monitor,
    TimeProvider time,
    ILogger<ApprovalGate> logger)
{
    /// <summary>The header of a retry: the approval id from the <c>approval_required</c> answer. Stripped before forwarding.</summary>
    public const string HeaderName = "X-Approval-Id";

    private readonly ApprovalOptions _options = options.Value;

    // Kept alive with the gate: the monitor writes the audit trail of every change.
    public ApprovalMonitor Monitor { get; } = monitor;

    /// <summary>Whether approvals can be decided at all: an admin listener or a console URL exists.</summary>
    public bool Enabled => _options.ConsoleUrl is not null || admin.Value.Listen is not null;

    /// <summary>
    /// Returns the request (with <c>Approval</c> set) and the policy's new decision once an approval is consumed;
    /// null when the answer has been written (or the agent went away).
    /// </summary>
    public async Task<(PolicyRequest Request, PolicyDecision Decision)?> GateAsync(HttpContext context, PolicyRequest request, PolicyDecision decision)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        try
        {
            return await GateCoreAsync(context, request, decision);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogGateFailed(logger, ex, request.ToolId);
            await denials.DenyAsync(context, DenialCode.ApprovalUnavailable, "the approval could not be processed", null, decision.ProblemExtensions());
            return null;
        }
    }

    private async Task<(PolicyRequest, PolicyDecision)?> GateCoreAsync(HttpContext context, PolicyRequest request, PolicyDecision decision)
    {
        if (!Enabled)
        {
            // Nobody could decide: the request stays refused, as without an approval stage.
            await denials.DenyAsync(context, DenialCode.ApprovalRequired, decision.Reason, null, decision.ProblemExtensions());
            return null;
        }

        var body = await ReadBodyAsync(context, _options.MaxBodyBytes);
        if (body is null)
        {
            await denials.DenyAsync(context, DenialCode.ApprovalBodyTooLarge,
                $"a request that needs an approval may carry at most {_options.MaxBodyBytes} bytes of body", null, decision.ProblemExtensions());
            return null;
        }

        var bodyHash = ApprovalDigest.BodyHash(body);
        var digest = ApprovalDigest.Compute(request.SpiffeId, request.Task?.Id, request.ToolId, request.Method, request.Path + request.Query, bodyHash);
        if (context.Request.Headers.TryGetValue(HeaderName, out var ids))
        {
            return await RedeemAsync(context, request, ids.Count == 1 ? ids[0] : null, digest);
        }

        var terms = (decision.Approval ?? new ApprovalRequirement()).Resolve(_options);
        ApprovalRecord record;
        try
        {
            record = await store.CreateAsync(new ApprovalDraft(digest, terms, BuildContext(context, request, decision, body, bodyHash)), context.RequestAborted);
        }
        catch (ApprovalCapacityException)
        {
            await denials.DenyAsync(context, DenialCode.ApprovalUnavailable, "too many approvals are pending; try again later", null, decision.ProblemExtensions());
            return null;
        }

        if (terms.Mode == ApprovalModes.Hold)
        {
            return await HoldAsync(context, request, record, digest);
        }

        var extensions = decision.ProblemExtensions() ?? new Dictionary<string, string>();
        extensions["approval_id"] = record.Id;
        extensions["approval_url"] = ApprovalUrl(record.Id);
        extensions["expires_at"] = PolicyInputBuilder.Rfc3339(record.ExpiresAt);
        SetRetryAfter(context);
        await denials.DenyAsync(context, DenialCode.ApprovalRequired, decision.Reason, null, extensions);
        return null;
    }

    private async Task<(PolicyRequest, PolicyDecision)?> RedeemAsync(HttpContext context, PolicyRequest request, string? id, string digest)
    {
        if (!InMemoryApprovalStore.IsWellFormedId(id))
        {
            await DenyMismatchAsync(context);
            return null;
        }

        var result = await store.ConsumeAsync(id!, digest, context.RequestAborted);
        return await AfterConsumeAsync(context, request, id!, result);
    }

    private async Task<(PolicyRequest, PolicyDecision)?> HoldAsync(HttpContext context, PolicyRequest request, ApprovalRecord record, string digest)
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
            return null;
        }
        finally
        {
            metrics.ApprovalsHeld.Dec();
        }

        if (outcome is { State: ApprovalStates.Pending })
        {
            // Timed out. A decision may land at this very moment: if ending it fails, read what it became.
            outcome = await store.EndPendingAsync(record.Id, ApprovalStates.Expired, CancellationToken.None)
                ?? await store.GetAsync(record.Id, CancellationToken.None);
        }

        if (outcome is { State: ApprovalStates.Approved })
        {
            return await AfterConsumeAsync(context, request, record.Id, await store.ConsumeAsync(record.Id, digest, context.RequestAborted));
        }

        var status = outcome?.State switch
        {
            ApprovalStates.Denied => ApprovalConsumeStatus.Denied,
            ApprovalStates.Used => ApprovalConsumeStatus.Used,
            ApprovalStates.Cancelled or ApprovalStates.Withdrawn => ApprovalConsumeStatus.Cancelled,
            _ => ApprovalConsumeStatus.Expired,
        };
        return await AfterConsumeAsync(context, request, record.Id, new ApprovalConsumeResult(status, outcome));
    }

    private async Task<(PolicyRequest, PolicyDecision)?> AfterConsumeAsync(HttpContext context, PolicyRequest request, string id, ApprovalConsumeResult result)
    {
        var extensions = new Dictionary<string, string> { ["approval_id"] = id };
        switch (result.Status)
        {
            case ApprovalConsumeStatus.Consumed:
                break;
            case ApprovalConsumeStatus.Mismatch:
                await DenyMismatchAsync(context);
                return null;
            case ApprovalConsumeStatus.Pending:
                SetRetryAfter(context);
                extensions["approval_url"] = ApprovalUrl(id);
                await denials.DenyAsync(context, DenialCode.ApprovalPending, "the approval has not been decided yet", null, extensions);
                return null;
            case ApprovalConsumeStatus.Denied:
                await denials.DenyAsync(context, DenialCode.ApprovalDenied, "an approver denied this request", null, extensions);
                return null;
            case ApprovalConsumeStatus.Used:
                await denials.DenyAsync(context, DenialCode.ApprovalUsed, "this approval has already been used; an approval is good for one request", null, extensions);
                return null;
            case ApprovalConsumeStatus.Cancelled:
                await denials.DenyAsync(context, DenialCode.ApprovalCancelled, "this approval was cancelled", null, extensions);
                return null;
            default:
                await denials.DenyAsync(context, DenialCode.ApprovalExpired, "the approval expired before it was used", null, extensions);
                return null;
        }

        var record = result.Record!;
        var approved = WithApproval(request, record);
        PolicyDecision again;
        try
        {
            again = await decisionPoint.DecideAsync(approved, context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogGateFailed(logger, ex, request.ToolId);
            await denials.DenyAsync(context, DenialCode.PolicyUnavailable, "the policy decision point failed", null, extensions);
            return null;
        }

        if (again.RequireApproval)
        {
            // The policy does not accept this approval (e.g. too few approvers): refused, never asked again in a loop.
            if (again.DecisionId is { } decisionId)
            {
                extensions["decision_id"] = decisionId;
            }

            await denials.DenyAsync(context, DenialCode.PolicyDenied,
                again.Reason is null ? "the policy still requires an approval" : "the policy still requires an approval: " + again.Reason, null, extensions);
            return null;
        }

        return (approved, again);
    }

    private Task DenyMismatchAsync(HttpContext context) =>
        denials.DenyAsync(context, DenialCode.ApprovalMismatch, "no approval with this id matches this request");

    private void SetRetryAfter(HttpContext context)
    {
        var seconds = _options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);

        // The problem writer clears the headers first; this runs when the response starts.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.RetryAfter = seconds;
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// <paramref name="request"/> carrying the consumed approval as <c>input.approval</c>, to ask the policy again:
    /// the approval releases the request only if the policy still allows it.
    /// </summary>
    internal PolicyRequest WithApproval(PolicyRequest request, ApprovalRecord record)
    {
        var now = time.GetUtcNow();
        return request with
        {
            Approval = new ApprovalGrant(record.Id, record.ApprovedBy, record.DecidedAt ?? now),
            Time = now,
        };
    }

    /// <summary>The console link of an approval (also sent by the webhook and used by the MCP stage, Mcp/McpApprovals.cs).</summary>
    public string ApprovalUrl(string id)
    {
        var console = _options.ConsoleUrl ?? listeners.GetUrl(ListenerKind.Admin);
        return console.ToString().TrimEnd('/') + "/approvals/" + id;
    }

    /// <summary>What approvers see of a request (also used by the MCP stage for one JSON-RPC message as the body).</summary>
    internal ApprovalContext BuildContext(HttpContext context, PolicyRequest request, PolicyDecision decision, byte[] body, string bodyHash)
    {
        var redact = _options.EffectiveRedactFields;
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = IsSensitiveHeader(name, redact) ? ApprovalPreview.Redacted : value;
        }

        var task = request.Task;
        string? requestedBy = null;
        if (task is not null && task.Claims.TryGetValue(_options.RequesterClaim, out var claim) && claim.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            requestedBy = claim.GetString();
        }

        var contentType = context.Request.ContentType;
        return new ApprovalContext
        {
            SpiffeId = request.SpiffeId,
            TaskId = task?.Id,
            TaskIssuer = task?.Issuer,
            TaskClaims = task?.Claims ?? new Dictionary<string, System.Text.Json.JsonElement>(),
            RequestedBy = requestedBy,
            Tool = request.ToolId,
            Method = request.Method,
            Path = request.Path,
            Query = ApprovalPreview.RedactQuery(request.Query, redact),
            Headers = headers,
            ContentType = contentType,
            BodyBytes = body.Length,
            BodySha256 = bodyHash,
            BodyPreview = ApprovalPreview.Build(body, contentType, redact),
            Reason = decision.Reason,
            DecisionId = decision.DecisionId,
            PolicyRevision = decision.PolicyRevision,
        };
    }

    // Credential headers never get here (stripped); a header whose name looks like a secret is redacted anyway.
    private static bool IsSensitiveHeader(string name, IReadOnlyList<string> redact) =>
        name.Contains("auth", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("key", StringComparison.OrdinalIgnoreCase)
        || name.Contains("cookie", StringComparison.OrdinalIgnoreCase)
        || name.Contains("session", StringComparison.OrdinalIgnoreCase)
        || redact.Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase));

    /// <summary>The whole body (buffered so the forwarder can send it again), or null when it is larger than <paramref name="max"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long max)
    {
        var request = context.Request;
        if (request.ContentLength > max)
        {
            return null;
        }

        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: max + (64 * 1024));
        using var copy = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (copy.Length + read > max)
                {
                    return null;
                }

                copy.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        request.Body.Position = 0;
        return copy.ToArray();
    }

    [LoggerMessage(EventId = 13010, Level = LogLevel.Error, Message = "Approval stage failed for tool {ToolId}; denying")]
    private static partial void LogGateFailed(ILogger logger, Exception exception, string toolId);
}

/// <summary>Removes <c>X-Approval-Id</c> from the forwarded request and from the policy input (it reaches the policy only as <c>input.approval</c>).</summary>
internal sealed class ApprovalStrippedHeaderSource : IStrippedHeaderSource
{
    public IEnumerable<string> HeaderNames => [ApprovalGate.HeaderName];
}
