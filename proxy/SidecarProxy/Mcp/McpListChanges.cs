using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;

namespace SidecarProxy.Mcp;

/// <summary>
/// Keeps agents' views of filtered lists in step with the policy. The sidecar filters <c>tools/list</c>,
/// <c>prompts/list</c>, <c>resources/list</c> and <c>resources/templates/list</c> per agent, so when the policy
/// revision changes, a view an agent holds may be stale although the server changed nothing. For every
/// 2025-11-25 session that has listed something, the sidecar then sends <c>notifications/tools/list_changed</c>
/// (and the prompts/resources equivalents, for what the session listed) on the session's open GET stream, the one
/// channel on which MCP lets a server speak unasked. A session with no open stream gets them when it next opens
/// one. Sessions are those of <see cref="McpSessionStore"/>; what is remembered here is bounded the same way.
/// The revision change is the embedded engine's reload event; with OPA the sidecar sees no revision change.
/// </summary>
internal sealed partial class McpListChanges : IDisposable
{
    private readonly ConcurrentDictionary<(string Tool, string Session), SessionLists> _sessions = new();
    private readonly EmbeddedPolicyEngine? _engine;
    private readonly McpSessionStore _store;
    private readonly ILogger<McpListChanges> _logger;

    public McpListChanges(IServiceProvider services, McpSessionStore store, ILogger<McpListChanges> logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        _store = store;
        _logger = logger;
        _engine = services.GetService(typeof(IPolicyEngine)) as EmbeddedPolicyEngine;
        if (_engine is not null)
        {
            _engine.Reloaded += OnReloaded;
        }
    }

    /// <summary>The notification a list method's result goes stale with; null for other methods.</summary>
    public static string? NotificationFor(string? method) => method switch
    {
        "tools/list" => "notifications/tools/list_changed",
        "prompts/list" => "notifications/prompts/list_changed",
        "resources/list" or "resources/templates/list" => "notifications/resources/list_changed",
        _ => null,
    };

    public int Tracked => _sessions.Count;

    /// <summary>Whether the sidecar sends list_changed at all: only the embedded engine tells it of a new revision.</summary>
    public bool Sends => _engine is not null;

    /// <summary>Records that a session received a filtered list of this method.</summary>
    public void Listed(string tool, string session, string method)
    {
        if (NotificationFor(method) is not { } notification)
        {
            return;
        }

        var lists = _sessions.GetOrAdd((tool, session), _ => new SessionLists());
        lock (lists)
        {
            lists.Kinds.Add(notification);
        }

        Prune();
    }

    /// <summary>A GET stream of the session is open: it carries the notifications until it closes.</summary>
    public void Opened(string tool, string session, McpServerStream stream)
    {
        var lists = _sessions.GetOrAdd((tool, session), _ => new SessionLists());
        McpNotification[] pending;
        lock (lists)
        {
            lists.Streams.Add(stream);
            pending = [.. lists.Pending];
            lists.Pending.Clear();
        }

        if (pending.Length > 0)
        {
            stream.Notify(pending);
        }
    }

    public void Closed(string tool, string session, McpServerStream stream)
    {
        if (_sessions.TryGetValue((tool, session), out var lists))
        {
            lock (lists)
            {
                lists.Streams.Remove(stream);
            }
        }
    }

    public void Forget(string tool, string session) => _sessions.TryRemove((tool, session), out _);

    /// <summary>
    /// Sends one notification to a session: on its open GET streams, else when it next opens one (as for list_changed).
    /// Used for <c>notifications/elicitation/complete</c> (<see cref="McpElicitationCompletions"/>).
    /// </summary>
    public void Send(string tool, string session, McpNotification notification)
    {
        if (!_store.Knows(tool, session))
        {
            return;
        }

        var lists = _sessions.GetOrAdd((tool, session), _ => new SessionLists());
        McpServerStream[] streams;
        lock (lists)
        {
            streams = [.. lists.Streams];
            if (streams.Length == 0)
            {
                lists.Pending.Add(notification);
            }
        }

        foreach (var stream in streams)
        {
            stream.Notify([notification]);
        }

        Prune();
    }

    /// <summary>The policy revision changed: every session that listed something is told to list again.</summary>
    public void RevisionChanged(string revision)
    {
        var sent = 0;
        foreach (var (_, lists) in _sessions)
        {
            McpServerStream[] streams;
            McpNotification[] kinds;
            lock (lists)
            {
                if (lists.Kinds.Count == 0)
                {
                    continue;
                }

                kinds = [.. lists.Kinds.Order(StringComparer.Ordinal).Select(McpNotification.Of)];
                streams = [.. lists.Streams];
                if (streams.Length == 0)
                {
                    lists.Pending.UnionWith(kinds);
                }
            }

            foreach (var stream in streams)
            {
                stream.Notify(kinds);
                sent++;
            }
        }

        LogRevisionChanged(_logger, revision, sent);
    }

    public void Dispose()
    {
        if (_engine is not null)
        {
            _engine.Reloaded -= OnReloaded;
        }
    }

    private void OnReloaded(bool ok, string revision)
    {
        if (ok)
        {
            RevisionChanged(revision);
        }
    }

    // Sessions the store no longer knows (expired, evicted, deleted) are forgotten here too.
    private void Prune()
    {
        if (_sessions.Count <= _store.Count + 64)
        {
            return;
        }

        foreach (var (key, lists) in _sessions)
        {
            bool open;
            lock (lists)
            {
                open = lists.Streams.Count > 0;
            }

            if (!open && !_store.Knows(key.Tool, key.Session))
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }

    private sealed class SessionLists
    {
        public HashSet<string> Kinds { get; } = new(StringComparer.Ordinal);

        public HashSet<McpNotification> Pending { get; } = [];

        public List<McpServerStream> Streams { get; } = [];
    }

    [LoggerMessage(EventId = 7030, Level = LogLevel.Information,
        Message = "Policy revision {Revision}: list_changed sent on {Streams} open MCP session streams")]
    private static partial void LogRevisionChanged(ILogger logger, string revision, int streams);
}
