using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SidecarProxy.Mcp;

internal enum McpSessionCheck
{
    Owned,
    Unknown,
    Foreign,
}

/// <summary>
/// Binds each MCP session id (2025-11-25 <c>Mcp-Session-Id</c>, issued by the server in a response) to the agent
/// it was issued to, per tool. A session presented by another agent, or one the sidecar does not know (never seen,
/// idle too long, or forgotten when the store was full), is refused: an agent can only use sessions it opened
/// through this sidecar. Bounded: idle entries expire and the least recently used go first when full.
/// </summary>
internal sealed class McpSessionStore(IOptions<McpOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Tool, string Session), Entry> _sessions = new();
    private readonly Lock _evictLock = new();

    public int Count => _sessions.Count;

    /// <summary>Whether the session is remembered (for any agent).</summary>
    public bool Knows(string tool, string session) => _sessions.ContainsKey((tool, session));

    public McpSessionCheck Check(string tool, string session, string agent)
    {
        if (!_sessions.TryGetValue((tool, session), out var entry))
        {
            return McpSessionCheck.Unknown;
        }

        var now = time.GetUtcNow();
        if (now - entry.LastUsed > options.Value.SessionIdleTimeout)
        {
            _sessions.TryRemove(new KeyValuePair<(string, string), Entry>((tool, session), entry));
            return McpSessionCheck.Unknown;
        }

        if (!string.Equals(entry.Agent, agent, StringComparison.Ordinal))
        {
            return McpSessionCheck.Foreign;
        }

        entry.LastUsed = now;
        return McpSessionCheck.Owned;
    }

    /// <summary>Records that the server issued <paramref name="session"/> to <paramref name="agent"/>; false if it belongs to another.</summary>
    public bool Bind(string tool, string session, string agent)
    {
        var now = time.GetUtcNow();
        var entry = _sessions.GetOrAdd((tool, session), _ => new Entry(agent, now));
        if (!string.Equals(entry.Agent, agent, StringComparison.Ordinal))
        {
            return false;
        }

        entry.LastUsed = now;
        if (_sessions.Count > options.Value.MaxSessions)
        {
            Evict(now);
        }

        return true;
    }

    public void Remove(string tool, string session, string agent)
    {
        if (_sessions.TryGetValue((tool, session), out var entry) && string.Equals(entry.Agent, agent, StringComparison.Ordinal))
        {
            _sessions.TryRemove(new KeyValuePair<(string, string), Entry>((tool, session), entry));
        }
    }

    private void Evict(DateTimeOffset now)
    {
        lock (_evictLock)
        {
            var idle = options.Value.SessionIdleTimeout;
            foreach (var (key, entry) in _sessions)
            {
                if (now - entry.LastUsed > idle)
                {
                    _sessions.TryRemove(key, out _);
                }
            }

            var excess = _sessions.Count - options.Value.MaxSessions;
            if (excess <= 0)
            {
                return;
            }

            foreach (var (key, _) in _sessions.OrderBy(p => p.Value.LastUsed).Take(excess).ToList())
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }

    private sealed class Entry(string agent, DateTimeOffset lastUsed)
    {
        public string Agent { get; } = agent;

        public DateTimeOffset LastUsed { get; set; } = lastUsed;
    }
}
