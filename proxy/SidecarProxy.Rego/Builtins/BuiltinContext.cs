using System.Collections.Concurrent;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// What a builtin may know about the evaluation it runs in. One context per query evaluation:
/// <see cref="Now"/> is fixed for the whole query, as OPA fixes time.now_ns per query.
/// </summary>
public sealed class BuiltinContext
{
    private readonly CancellationToken _callerToken;
    private readonly long _deadline;
    private CancellationTokenSource? _deadlineSource;

    public BuiltinContext(DateTimeOffset now, bool strictBuiltinErrors = false, CancellationToken cancellationToken = default)
    {
        Now = now;
        _callerToken = cancellationToken;
        StrictBuiltinErrors = strictBuiltinErrors;
    }

    /// <summary>
    /// A context whose <see cref="CancellationToken"/> is also cancelled at <paramref name="deadline"/> (a
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp). The timer behind it is only made when a builtin asks for
    /// the token: most evaluations never do, and a timer per evaluation is a cost on every request.
    /// </summary>
    internal BuiltinContext(DateTimeOffset now, bool strictBuiltinErrors, long deadline, CancellationToken cancellationToken)
        : this(now, strictBuiltinErrors, cancellationToken)
    {
        _deadline = deadline;
    }

    /// <summary>The evaluation's clock reading; the same for every call in one query.</summary>
    public DateTimeOffset Now { get; }

    public CancellationToken CancellationToken => _deadline == 0 ? _callerToken : DeadlineToken();

    private CancellationToken DeadlineToken()
    {
        if (_deadlineSource is null)
        {
            var source = CancellationTokenSource.CreateLinkedTokenSource(_callerToken);
            var left = System.Diagnostics.Stopwatch.GetElapsedTime(System.Diagnostics.Stopwatch.GetTimestamp(), _deadline);
            if (left <= TimeSpan.Zero)
            {
                source.Cancel();
            }
            else
            {
                source.CancelAfter(left);
            }

            _deadlineSource = source;
        }

        return _deadlineSource.Token;
    }

    /// <summary>Releases the deadline's timer, if a builtin made one.</summary>
    internal void ReleaseDeadline() => _deadlineSource?.Dispose();

    public bool StrictBuiltinErrors { get; }

    /// <summary>Per-query cache for builtins that must return the same value within a query (e.g. uuid.rfc4122 per seed).</summary>
    public ConcurrentDictionary<string, object> QueryCache => LazyInitializer.EnsureInitialized(ref _queryCache, static () => new ConcurrentDictionary<string, object>(StringComparer.Ordinal));

    // Created on first use: most queries never need it, and evaluation is per request.
    private ConcurrentDictionary<string, object>? _queryCache;
}
