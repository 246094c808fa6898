namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// known-failures.txt (copied next to the test assembly): one "id  # reason" line per case the engine does not
/// pass yet. Such a case is expected to fail, and a listed case that passes fails its test so the list only shrinks.
/// </summary>
public sealed class KnownFailures
{
    public const string FileName = "known-failures.txt";

    private readonly Dictionary<string, string> reasons;

    private KnownFailures(Dictionary<string, string> reasons) => this.reasons = reasons;

    public static KnownFailures Default { get; } = Load(Path.Combine(AppContext.BaseDirectory, FileName));

    public IReadOnlyCollection<string> Ids => reasons.Keys;

    public bool Contains(string id) => reasons.ContainsKey(id);

    public static KnownFailures Load(string path)
    {
        // The project copies the file to its output, so a missing file is a broken build, not an empty list.
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{FileName} is missing next to the test assembly", path);
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var hash = line.IndexOf("  #", StringComparison.Ordinal);
            var id = (hash >= 0 ? line[..hash] : line).Trim();
            result[id] = hash >= 0 ? line[(hash + 3)..].Trim() : string.Empty;
        }

        return new KnownFailures(result);
    }
}
