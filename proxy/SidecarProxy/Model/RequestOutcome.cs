using Microsoft.AspNetCore.Http;

namespace SidecarProxy.Model;

/// <summary>
/// What happened to one agent request, in one place: the stages record it as they run (a denial, the policy's yes, the
/// credential issued, a refused grant's reason, a client abort) and the audit trail and the request metrics read it
/// once, when the request ends, so the two can never classify the same request differently. Created by the first
/// stage of the agent pipeline; holds no secret (of a credential only what the audit trail may show).
/// </summary>
internal sealed class RequestOutcome(long startTimestamp, DateTimeOffset receivedAt)
{
    /// <summary>Status recorded for a request the client abandoned; nginx's "client closed request".</summary>
    public const int ClientClosedRequest = 499;

    public long StartTimestamp { get; } = startTimestamp;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>The first denial (later ones cannot happen: a denial ends the pipeline).</summary>
    public DenialCode? Denial { get; private set; }

    /// <summary>The policy allowed the request; the credential stage and the forwarder came next.</summary>
    public bool Allowed { get; private set; }

    /// <summary>The client went away before it was answered.</summary>
    public bool Aborted { get; private set; }

    /// <summary>The credential injected into the forwarded request, as the audit trail records it.</summary>
    public CredentialIssue? Credential { get; set; }

    /// <summary>Why the task grant was refused (<c>task_grant_expired</c>, ...): the problem's <c>grant_error</c>.</summary>
    public string? GrantError { get; set; }

    /// <summary>The task id a refused grant claims; unverified, so only ever shown beside <see cref="GrantError"/>.</summary>
    public string? ClaimedTaskId { get; set; }

    /// <summary>MCP routes: each JSON-RPC message of the request and what became of it; null elsewhere.</summary>
    public IReadOnlyList<McpAuditEntry>? Mcp { get; set; }

    /// <summary>One of <see cref="Verdicts"/>: the <c>decision</c> of the audit record and of the request metric.</summary>
    public string Verdict => Aborted ? Verdicts.Aborted
        : Denial is { } denial ? (denial.IsFault ? Verdicts.Error : Verdicts.Deny)
        : Allowed ? Verdicts.Allow
        : Verdicts.Error;

    public void Deny(DenialCode code) => Denial ??= code;

    public void Allow() => Allowed = true;

    /// <summary>Records the abort; the response status becomes 499 unless it has started.</summary>
    public void Abort(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Aborted = true;
        if (!response.HasStarted)
        {
            response.StatusCode = ClientClosedRequest;
        }
    }

    /// <summary>
    /// The status the agent got: an exception that escaped the pipeline becomes a 500 from the server, unless the
    /// response had started or the client had gone.
    /// </summary>
    public int FinalStatus(HttpResponse response, bool threw)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Aborted ? ClientClosedRequest
            : threw && !response.HasStarted ? StatusCodes.Status500InternalServerError
            : response.StatusCode;
    }
}

/// <summary>The closed set of verdicts (the <c>decision</c> label and audit field).</summary>
internal static class Verdicts
{
    public const string Allow = "allow";
    public const string Deny = "deny";

    /// <summary>The sidecar could not decide or serve: an engine, credential or audit fault, or an unexpected exception.</summary>
    public const string Error = "error";

    /// <summary>The client abandoned the request.</summary>
    public const string Aborted = "aborted";

    public static readonly IReadOnlyList<string> All = [Allow, Deny, Error, Aborted];
}

/// <summary>
/// What the audit trail keeps of an injected credential: provider, fingerprint, expiry, cache hit; never the value.
/// </summary>
internal sealed record CredentialIssue(
    string ProviderName,
    string ProviderKind,
    string Fingerprint,
    bool JustInTime,
    bool CacheHit,
    DateTimeOffset ExpiresAt);
