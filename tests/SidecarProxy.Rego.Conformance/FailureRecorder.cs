namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// REGO_WRITE_KNOWN_FAILURES=&lt;path&gt; appends every failing case, known or not, as an "id  # reason" line: the
/// way known-failures.txt is regenerated.
/// </summary>
public static class FailureRecorder
{
    private const int MaxLineLength = 240;
    private static readonly Lock WriteLock = new();

    public static void Record(string id, string reason)
    {
        var path = Environment.GetEnvironmentVariable("REGO_WRITE_KNOWN_FAILURES");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var line = $"{id}  # {reason.Replace('\n', ' ').Replace('\r', ' ')}";
        if (line.Length > MaxLineLength)
        {
            line = line[..MaxLineLength];
        }

        lock (WriteLock)
        {
            File.AppendAllText(path, line + "\n");
        }
    }
}
