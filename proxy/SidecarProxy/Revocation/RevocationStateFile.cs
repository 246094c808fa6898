using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SidecarProxy.Revocation;

/// <summary>
/// The revocation list on disk: <c>{"version": 1, "revocations": [...]}</c>. Written to a temporary file in the
/// same directory, fsynced, then renamed over the old file (atomic on POSIX), and the directory is fsynced so
/// the rename itself survives a crash. A file that cannot be read is an error, never an empty list.
/// </summary>
internal static class RevocationStateFile
{
    public const int Version = 1;

    public static IReadOnlyList<RevocationRecord> Load(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        RevocationState? state;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            state = JsonSerializer.Deserialize(stream, RevocationJsonContext.Default.RevocationState);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"not valid JSON ({ex.Message})", ex);
        }

        if (state is null || state.Version != Version || state.Revocations is null)
        {
            throw new InvalidDataException($"expected {{\"version\": {Version}, \"revocations\": [...]}}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in state.Revocations)
        {
            if (record is null || string.IsNullOrEmpty(record.Id) || record.Subject is null || record.Reason is null
                || record.CreatedBy is null || !RevocationActions.All.Contains(record.Action)
                || RevocationRequest.ValidateSubject(record.Subject.Kind, record.Subject.Value ?? string.Empty) is not null)
            {
                throw new InvalidDataException("a record is incomplete or invalid (id, subject, action, reason, created_by)");
            }

            if (!ids.Add(record.Id))
            {
                throw new InvalidDataException($"record id '{record.Id}' appears twice");
            }
        }

        return state.Revocations;
    }

    public static void Save(string path, IReadOnlyList<RevocationRecord> records)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(
                    stream, new RevocationState { Version = Version, Revocations = [.. records] }, RevocationJsonContext.Default.RevocationState);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        SyncDirectory(directory);
    }

    // Best effort: .NET cannot open a directory as a stream, so on Unix the directory is fsynced through libc.
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = NativeMethods.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = NativeMethods.Fsync(fd);
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}

internal sealed record RevocationState
{
    [JsonPropertyName("version")]
    public int Version { get; init; }

    [JsonPropertyName("revocations")]
    public List<RevocationRecord>? Revocations { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RevocationState))]
[JsonSerializable(typeof(RevocationRecord))]
[JsonSerializable(typeof(List<RevocationRecord>))]
internal sealed partial class RevocationJsonContext : JsonSerializerContext;
