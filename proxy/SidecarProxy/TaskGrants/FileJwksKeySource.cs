using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// Keys from a JWKS file, re-read whenever its timestamp or size changes (checked on use, which is a stat;
/// file watchers miss changes on some container mounts). A bad new file is logged and the last good set stays.
/// </summary>
internal sealed class FileJwksKeySource(string path, ILogger<FileJwksKeySource> logger) : ITaskGrantKeySource
{
    private readonly Lock _gate = new();
    private Snapshot? _snapshot;
    private (DateTime WriteTime, long Length)? _lastAttempt;

    public ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(CancellationToken cancellationToken)
    {
        Reload(force: false);
        return ValueTask.FromResult(_snapshot?.Keys);
    }

    public ValueTask<bool> RefreshAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Reload(force: true));

    private bool Reload(bool force)
    {
        (DateTime, long) stamp;
        try
        {
            var info = new FileInfo(path);
            stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        catch (IOException)
        {
            stamp = (DateTime.MinValue, -1);
        }

        if (!force && _lastAttempt == stamp)
        {
            return false;
        }

        lock (_gate)
        {
            if (!force && _lastAttempt == stamp)
            {
                return false;
            }

            _lastAttempt = stamp;
            string json;
            try
            {
                json = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                TaskGrantLog.JwksLoadFailed(logger, path, "cannot be read");
                return false;
            }

            var keys = JwksParser.TryParse(json, out var problem);
            if (keys is null)
            {
                TaskGrantLog.JwksLoadFailed(logger, path, problem!);
                return false;
            }

            var changed = _snapshot is null || !SameKeyIds(_snapshot.Keys, keys);
            _snapshot = new Snapshot(keys);
            TaskGrantLog.JwksLoaded(logger, path, keys.Count);
            return changed || force;
        }
    }

    private static bool SameKeyIds(IReadOnlyList<SecurityKey> a, IReadOnlyList<SecurityKey> b) =>
        a.Select(k => k.KeyId).Order(StringComparer.Ordinal).SequenceEqual(b.Select(k => k.KeyId).Order(StringComparer.Ordinal));

    private sealed record Snapshot(IReadOnlyList<SecurityKey> Keys);
}
