using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace SidecarProxy.Revocation;

/// <summary>
/// The agent requests in flight by task id (registered by the task-context stage for the rest of the request), so
/// revoking a task can abort its requests at once, as revoking an identity closes its connections. A connection is
/// not bound to a task, so this works per request: on HTTP/1.1 aborting the request closes its connection, on
/// HTTP/2 it resets the stream.
/// </summary>
internal sealed class TaskRequestRegistry
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<HttpContext, byte>> _requests = new(StringComparer.Ordinal);

    public IDisposable Register(string taskId, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var set = _requests.GetOrAdd(taskId, _ => new ConcurrentDictionary<HttpContext, byte>());
        set[context] = 0;
        return new Registration(this, taskId, set, context);
    }

    public int Count(string taskId) => _requests.TryGetValue(taskId, out var set) ? set.Count : 0;

    /// <summary>Aborts every request of <paramref name="taskId"/> still in flight; returns how many.</summary>
    /// <param name="spare">A request not to abort (the one that is answered with the refusal that triggered the revocation).</param>
    public int AbortAll(string taskId, HttpContext? spare = null)
    {
        if (!_requests.TryGetValue(taskId, out var set))
        {
            return 0;
        }

        var aborted = 0;
        foreach (var (context, _) in set)
        {
            if (ReferenceEquals(context, spare))
            {
                continue;
            }

            context.Abort();
            aborted++;
        }

        return aborted;
    }

    private sealed class Registration(
        TaskRequestRegistry owner, string taskId, ConcurrentDictionary<HttpContext, byte> set, HttpContext context) : IDisposable
    {
        public void Dispose()
        {
            set.TryRemove(context, out _);

            // Drop the empty set so task ids do not accumulate (a racing Register re-creates it).
            if (set.IsEmpty)
            {
                owner._requests.TryRemove(KeyValuePair.Create(taskId, set));
            }
        }
    }
}
