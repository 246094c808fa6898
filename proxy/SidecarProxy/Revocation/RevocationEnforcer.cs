using Microsoft.Extensions.Logging;
using SidecarProxy.Credentials;
using SidecarProxy.Identity;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// Makes a new record take effect at once: a revoke closes every open agent connection it covers, whatever is in
/// flight (an open connection otherwise keeps serving the identity it was authenticated with), and both actions
/// purge the cached credentials of the identities or task they cover. A task revoke aborts the task's requests in
/// flight instead (a connection is not bound to a task); the task's next request is refused by the task stage.
/// The count returned as "closed" is connections for identity subjects and requests for a task.
/// </summary>
internal sealed partial class RevocationEnforcer(
    AgentConnectionRegistry connections,
    TaskRequestRegistry taskRequests,
    CredentialCache credentials,
    TokenRevoker tokens,
    SidecarMetrics metrics,
    ILogger<RevocationEnforcer> logger)
{
    /// <param name="record">The record now in force.</param>
    /// <param name="spare">The request that triggered it (a policy's contain), when it is answered with the refusal:
    /// that request is not aborted, and its connection is closed gracefully after the answer instead.</param>
    public (int ConnectionsClosed, int CredentialsPurged) Apply(RevocationRecord record, Microsoft.AspNetCore.Http.HttpContext? spare = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        var subject = record.Subject;
        int purged;
        var closed = 0;
        IReadOnlyList<PurgedCredential> removed;
        if (subject.Kind == SubjectKinds.Task)
        {
            removed = credentials.Purge(key => string.Equals(key.TaskId, subject.Value, StringComparison.Ordinal));
            if (record.Action == RevocationActions.Revoke)
            {
                closed = taskRequests.AbortAll(subject.Value, spare);
            }
        }
        else
        {
            removed = credentials.Purge(key =>
                SpiffeId.TryParse(key.SpiffeId, out var id, out _) && RevocationSnapshot.Covers(subject, id));
            if (record.Action == RevocationActions.Revoke)
            {
                closed = connections.AbortWhere(id => RevocationSnapshot.Covers(subject, id), "identity revoked: " + record.Id, spare?.Connection.Id);
                metrics.RevocationConnectionsClosed.Inc(closed);
            }
        }

        purged = removed.Count;

        // RFC 7009: the purged tokens (only those of the covered keys) are revoked at their issuer, in the background.
        if (record.Action == RevocationActions.Revoke && removed.Count > 0)
        {
            tokens.Enqueue(new TokenRevocationCause(record.Id, subject.Kind, subject.Value, record.Reason), removed);
        }

        LogApplied(logger, record.Id, record.Action, subject.Kind, closed, purged);
        return (closed, purged);
    }

    [LoggerMessage(EventId = 12002, Level = LogLevel.Information,
        Message = "Revocation {RecordId} ({Action} of a {SubjectKind}) applied: {Closed} connection(s) or task request(s) closed, {Purged} cached credential(s) purged")]
    private static partial void LogApplied(ILogger logger, string recordId, string action, string subjectKind, int closed, int purged);
}
