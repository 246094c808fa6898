using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.Identity;

/// <summary>
/// Identity material from PEM files, reloaded without restart. A <see cref="FileSystemWatcher"/> gives fast
/// notice; a polling timer catches what watchers miss (network file systems, Kubernetes' symlink swaps). Both
/// funnel into one debounced reload that compares file contents, so a burst of writes is one reload.
/// Like YARP's configuration provider, the first load throws and later failures log, count and keep the
/// last good snapshot.
/// </summary>
internal sealed class FileIdentityMaterialSource : IIdentityMaterialSource, IIdentityReloadStatus, IDisposable
{
    private readonly IdentityFiles _files;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _debounce;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly HashSet<string> _watchedPaths;
    private IdentityMaterial? _current;
    private byte[]? _lastSeenHash;
    private ITimer? _pollTimer;
    private ITimer? _debounceTimer;
    private long _failures;
    private bool _disposed;

    public FileIdentityMaterialSource(
        IdentityFiles files, TimeSpan pollInterval, TimeSpan debounce, TimeProvider time, ILogger<FileIdentityMaterialSource> logger)
    {
        _files = files;
        _pollInterval = pollInterval;
        _debounce = debounce;
        _time = time;
        _logger = logger;
        _watchedPaths = new HashSet<string>(files.AllPaths.Select(Path.GetFullPath), StringComparer.Ordinal);
    }

    public IdentityMaterial? Current => Volatile.Read(ref _current);

    public event Action<IdentityMaterial>? Changed;

    /// <inheritdoc/>
    public event Action<string>? ReloadFailed;

    /// <inheritdoc/>
    public long ReloadFailureCount => Interlocked.Read(ref _failures);

    public string SourceName => "files";

    /// <summary>Loads the material once (throwing <see cref="IdentityLoadException"/>) and starts watching.</summary>
    public void Start()
    {
        lock (_reloadLock)
        {
            var texts = PemIdentityLoader.ReadAll(_files);
            Publish(PemIdentityLoader.Parse(_files, texts));
            _lastSeenHash = Hash(texts);
        }

        StartWatchers();
        _debounceTimer = _time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pollTimer = _time.CreateTimer(_ => Reload(), null, _pollInterval, _pollInterval);
    }

    /// <summary>Reads the files and publishes a new snapshot if they changed and parse; returns whether it did.</summary>
    internal bool Reload()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return false;
            }

            IReadOnlyDictionary<string, string> texts;
            try
            {
                texts = PemIdentityLoader.ReadAll(_files);
            }
            catch (IdentityLoadException ex)
            {
                // A missing file stays missing across polls: report it once per distinct state.
                return Seen(Hash(new Dictionary<string, string> { ["unreadable"] = ex.Message })) && Fail(ex);
            }

            if (!Seen(Hash(texts)))
            {
                return false;
            }

            try
            {
                Publish(PemIdentityLoader.Parse(_files, texts));
                return true;
            }
            catch (IdentityLoadException ex)
            {
                return Fail(ex);
            }
        }
    }

    /// <summary>Records a state; false when it is the one already handled (even a bad one is handled once).</summary>
    private bool Seen(byte[] hash)
    {
        if (_lastSeenHash is not null && hash.AsSpan().SequenceEqual(_lastSeenHash))
        {
            return false;
        }

        _lastSeenHash = hash;
        return true;
    }

    private bool Fail(IdentityLoadException ex)
    {
        Interlocked.Increment(ref _failures);
        IdentityLog.IdentityReloadRejected(_logger, ex.Message);
        ReloadFailed?.Invoke(ex.Message);
        return false;
    }

    private void Publish(IdentityMaterial material)
    {
        Volatile.Write(ref _current, material);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var trustDomains = string.Join(",", material.Bundles.Keys.Order(StringComparer.Ordinal));
            IdentityLog.IdentityLoaded(_logger, material.ServerCertificate.Subject, trustDomains);
        }

        Changed?.Invoke(material);
    }

    private void StartWatchers()
    {
        foreach (var directory in _watchedPaths.Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal))
        {
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }

            try
            {
                var watcher = new FileSystemWatcher(directory)
                {
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size
                        | NotifyFilters.CreationTime | NotifyFilters.DirectoryName,
                    IncludeSubdirectories = false,
                };
                watcher.Changed += OnFileEvent;
                watcher.Created += OnFileEvent;
                watcher.Deleted += OnFileEvent;
                watcher.Renamed += OnFileEvent;
                watcher.Error += (_, e) => IdentityLog.WatcherFailed(_logger, e.GetException());
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
            {
                // inotify limits are easy to hit on busy hosts; polling still applies changes.
                IdentityLog.WatcherFailed(_logger, ex);
            }
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        // Symlink swaps (..data in Kubernetes) touch other names in the directory, so any event counts.
        _ = e;
        _debounceTimer?.Change(_debounce, Timeout.InfiniteTimeSpan);
    }

    private static byte[] Hash(IReadOnlyDictionary<string, string> texts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, text) in texts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(text));
            hash.AppendData([0]);
        }

        return hash.GetHashAndReset();
    }

    public void Dispose()
    {
        lock (_reloadLock)
        {
            _disposed = true;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _pollTimer?.Dispose();
        _debounceTimer?.Dispose();
    }
}
