using Microsoft.Extensions.Logging;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy.Embedded;

/// <summary>
/// Decides with the project's own Rego engine, in process. The policy directory is loaded at start-up
/// (any error stops the process, with every error listed) and reloaded when a file changes; a reload
/// that fails to load or compile is logged and counted, and the last good policy stays in force.
/// </summary>
internal sealed partial class EmbeddedPolicyEngine : IPolicyEngine, IDisposable
{
    // File events arrive in bursts (an editor writes a temp file, renames, touches): wait for quiet.
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);

    // A watcher can miss events (network file systems, inotify limits, atomic symlink swaps as
    // Kubernetes ConfigMaps do): a cheap poll of names, sizes and times backs it up.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly PolicyOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _decisionPath;
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer _pollTimer;
    private readonly Lock _reloadLock = new();
    private volatile PolicySnapshot _snapshot;
    private string _fileStamp;
    private ITimer? _debounceTimer;

    /// <summary>Loads the directory now. Throws <see cref="PolicyLoadException"/> listing every error.</summary>
    public EmbeddedPolicyEngine(PolicyOptions options, ILogger<EmbeddedPolicyEngine> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _time = time;
        _decisionPath = options.Decision;
        _fileStamp = StampFiles(options.Directory);
        _snapshot = PolicyDirectoryLoader.Load(options.Directory);
        LogLoaded(_logger, _snapshot.Revision, _snapshot.ModuleCount, _snapshot.DataFileCount);

        try
        {
            _watcher = new FileSystemWatcher(options.Directory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            LogWatcherUnavailable(_logger, e.Message);
        }

        _pollTimer = time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
    }

    public string Name => "embedded";

    public string Revision => _snapshot.Revision;

    public bool IsReady => true;

    /// <summary>Raised after a reload attempt: true when the new policy took effect, false when it was rejected.</summary>
    public event Action<bool, string>? Reloaded;

    public CompiledPolicy Policy => _snapshot.Policy;

    public ValueTask<PolicyEngineResult> EvaluateAsync(RegoValue input, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        try
        {
            var value = snapshot.Policy.Evaluate(_decisionPath, input, new EvaluationOptions
            {
                CancellationToken = cancellationToken,
                Timeout = _options.Timeout,
                Now = _time.GetUtcNow(),
            });
            return ValueTask.FromResult(new PolicyEngineResult(value, null, snapshot.Revision));
        }
        catch (RegoEvaluationException e)
        {
            // The located message (file:line: code: message, as `policy eval` prints it) becomes the exception's
            // message; the Rego exception stays inside for its code. See LocatedMessage for what is left out.
            throw new PolicyEngineException(LocatedMessage(e), e);
        }
    }

    /// <summary>
    /// The evaluation error as <c>policy eval</c> prints it, <c>conflict.rego:5: eval_conflict_error: complete rules
    /// must not produce multiple outputs</c>, safe to log: the engine's messages are fixed texts and rule names, except
    /// a builtin's own error (strict builtin errors only), which may quote the input and is cut after the builtin's name.
    /// </summary>
    internal static string LocatedMessage(RegoEvaluationException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var message = e.Message;
        if (e.Code is "eval_builtin_error" or "eval_type_error")
        {
            // "{file}:{line}: {code}: {builtin}: {builtin's message}"
            var code = message.IndexOf(e.Code + ": ", StringComparison.Ordinal);
            var builtinEnd = code < 0 ? -1 : message.IndexOf(": ", code + e.Code.Length + 2, StringComparison.Ordinal);
            message = builtinEnd < 0 ? (code < 0 ? e.Code : message[..(code + e.Code.Length)]) : message[..builtinEnd];
        }

        return message.Contains(e.Code, StringComparison.Ordinal) ? message : e.Code + ": " + message;
    }

    /// <summary>Reloads now (also called by the watcher and the poll). Returns true when the new policy took effect.</summary>
    public bool Reload()
    {
        lock (_reloadLock)
        {
            _fileStamp = StampFiles(_options.Directory);
            PolicySnapshot next;
            try
            {
                next = PolicyDirectoryLoader.Load(_options.Directory);
            }
            catch (PolicyLoadException e)
            {
                LogReloadFailed(_logger, _snapshot.Revision, string.Join("; ", e.Errors));
                Reloaded?.Invoke(false, _snapshot.Revision);
                return false;
            }

            if (next.Revision == _snapshot.Revision)
            {
                return true;
            }

            _snapshot = next;
            LogLoaded(_logger, next.Revision, next.ModuleCount, next.DataFileCount);
            Reloaded?.Invoke(true, next.Revision);
            return true;
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _pollTimer.Dispose();
        _debounceTimer?.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        lock (_reloadLock)
        {
            _debounceTimer?.Dispose();
            _debounceTimer = _time.CreateTimer(_ => Reload(), null, Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Poll()
    {
        string stamp;
        try
        {
            stamp = StampFiles(_options.Directory);
        }
        catch (IOException)
        {
            return;
        }

        if (!string.Equals(stamp, _fileStamp, StringComparison.Ordinal))
        {
            Reload();
        }
    }

    private static string StampFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return string.Empty;
        }

        var parts = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                var info = new FileInfo(f);
                return info.Exists ? $"{f}|{info.Length}|{info.LastWriteTimeUtc.Ticks}" : f;
            });
        return string.Join('\n', parts);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Policy revision {Revision} loaded ({Modules} modules, {DataFiles} data files)")]
    private static partial void LogLoaded(ILogger logger, string revision, int modules, int dataFiles);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Policy reload rejected; revision {Revision} stays in force: {Errors}")]
    private static partial void LogReloadFailed(ILogger logger, string revision, string errors);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Cannot watch the policy directory ({Reason}); polling only")]
    private static partial void LogWatcherUnavailable(ILogger logger, string reason);
}
