using System.Collections.Concurrent;
using SidecarProxy.Approvals;

namespace SidecarProxy.Mcp;

/// <summary>
/// Tells a 2025-11-25 session that the approval behind a URL-mode elicitation it was given (the <c>-32042</c> error
/// of <see cref="McpApprovals"/>) is decided: <c>notifications/elicitation/complete</c> with the approval id as
/// <c>elicitationId</c>, on the session's GET stream (<see cref="McpListChanges.Send"/>), once the approval leaves
/// <c>pending</c> (approved, denied, expired, cancelled). The client may then retry at once instead of polling; it
/// learns the outcome from the retry. Only changes made through this sidecar's store are seen (with a Redis store, a
/// decision made through another sidecar is not); a client that misses the notification still learns by retrying.
/// </summary>
internal sealed class McpElicitationCompletions : IDisposable
{
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, (string Tool, string Session)> _byApproval = new(StringComparer.Ordinal);
    private readonly IApprovalStore _store;
    private readonly McpListChanges _sessions;

    public McpElicitationCompletions(IApprovalStore store, McpListChanges sessions)
    {
        _store = store;
        _sessions = sessions;
        _store.Changed += OnChanged;
    }

    public int Tracked => _byApproval.Count;

    /// <summary>The session was given a URL elicitation for this approval.</summary>
    public void Track(string approvalId, string tool, string session)
    {
        // Bounded like the approvals themselves: beyond the bound the session is not told (it can still retry).
        if (_byApproval.Count < MaxTracked)
        {
            _byApproval[approvalId] = (tool, session);
        }
    }

    public void Dispose() => _store.Changed -= OnChanged;

    private void OnChanged(ApprovalChange change)
    {
        if (change.Record.State != ApprovalStates.Pending && _byApproval.TryRemove(change.Record.Id, out var target))
        {
            _sessions.Send(target.Tool, target.Session, McpNotification.ElicitationComplete(change.Record.Id));
        }
    }
}
