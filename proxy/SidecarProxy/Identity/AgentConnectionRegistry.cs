using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity;

/// <summary>
/// The open agent connections by SPIFFE ID, so revoking an identity can close its connections at once (an
/// open connection otherwise keeps the identity it was authenticated with). Connections register after a
/// successful handshake and leave when they close.
/// </summary>
internal sealed class AgentConnectionRegistry
{
    private readonly ConcurrentDictionary<SpiffeId, ConcurrentDictionary<string, ConnectionContext>> _connections = new();

    /// <summary>Tracks <paramref name="connection"/> until the returned handle is disposed.</summary>
    public IDisposable Register(SpiffeId id, ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var set = _connections.GetOrAdd(id, _ => new ConcurrentDictionary<string, ConnectionContext>(StringComparer.Ordinal));
        set[connection.ConnectionId] = connection;
        return new Registration(set, connection.ConnectionId);
    }

    /// <summary>Open connections of an identity.</summary>
    public int Count(SpiffeId id) => _connections.TryGetValue(id, out var set) ? set.Count : 0;

    /// <summary>Aborts every open connection of <paramref name="id"/>; returns how many were aborted.</summary>
    /// <param name="spareConnectionId">A connection that is asked to close gracefully instead (after the response being
    /// written on it, which refuses the request that triggered the revocation), so that answer reaches the agent.</param>
    public int AbortAll(SpiffeId id, string reason, string? spareConnectionId = null)
    {
        if (!_connections.TryGetValue(id, out var set))
        {
            return 0;
        }

        var aborted = 0;
        foreach (var (connectionId, connection) in set)
        {
            if (spareConnectionId is not null && string.Equals(connectionId, spareConnectionId, StringComparison.Ordinal))
            {
                connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
            else
            {
                connection.Abort(new ConnectionAbortedException(reason));
            }

            aborted++;
        }

        return aborted;
    }

    /// <summary>Aborts every open connection whose identity satisfies <paramref name="match"/>; returns how many.</summary>
    public int AbortWhere(Func<SpiffeId, bool> match, string reason, string? spareConnectionId = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var aborted = 0;
        foreach (var (id, _) in _connections)
        {
            if (match(id))
            {
                aborted += AbortAll(id, reason, spareConnectionId);
            }
        }

        return aborted;
    }

    private sealed class Registration(ConcurrentDictionary<string, ConnectionContext> set, string connectionId) : IDisposable
    {
        public void Dispose() => set.TryRemove(connectionId, out _);
    }
}
