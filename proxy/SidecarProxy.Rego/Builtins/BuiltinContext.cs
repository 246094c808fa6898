using System.Collections.Concurrent;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// What a builtin may know about the evaluation it runs in. One context per query evaluation:
/// <see cref="Now"/> is fixed for the whole query, as OPA fixes time.now_ns per query.
/// </summary>
public sealed class BuiltinContext
{
    public BuiltinContext(DateTimeOffset now, CancellationToken cancellationToken = default, bool strictBuiltinErrors = false)
    {
        Now = now;
        CancellationToken = cancellationToken;
        StrictBuiltinErrors = strictBuiltinErrors;
    }

    /// <summary>The evaluation's clock reading; the same for every call in one query.</summary>
    public DateTimeOffset Now { get; }

    public CancellationToken CancellationToken { get; }

    public bool StrictBuiltinErrors { get; }

    /// <summary>Per-query cache for builtins that must return the same value within a query (e.g. uuid.rfc4122 per seed).</summary>
    public ConcurrentDictionary<string, object> QueryCache => LazyInitializer.EnsureInitialized(ref _queryCache, static () => new ConcurrentDictionary<string, object>(StringComparer.Ordinal));

    // Created on first use: most queries never need it, and evaluation is per request.
    private ConcurrentDictionary<string, object>? _queryCache;
}
