namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// One test per OPA conformance case (id "folder/file.yaml#index"). Cases listed in known-failures.txt are expected
/// to fail (unless OPA_CONFORMANCE_DIR is set); REGO_WRITE_KNOWN_FAILURES=&lt;path&gt; appends each failing case to a file.
/// </summary>
public sealed class ConformanceTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> KnownFailures = new(LoadKnownFailures);
    private static readonly Lock WriteLock = new();

    public static IEnumerable<object[]> CaseIds()
    {
        var cases = ConformanceSuite.Cases;
        if (cases.Count == 0)
        {
            // No suite on disk: a single case that reports it rather than silently running nothing.
            yield return ["<missing conformance folder>"];
            yield break;
        }

        foreach (var id in cases.Keys.Order(StringComparer.Ordinal))
        {
            yield return [id];
        }
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    [Trait("Category", "Conformance")]
    public void Case(string id)
    {
        Assert.True(ConformanceSuite.Cases.TryGetValue(id, out var c), $"conformance case {id} not found (folder: {ConformanceSuite.Root ?? "none"})");
        var failure = ConformanceRunner.Run(c!);
        if (failure is not null)
        {
            RecordFailure(id, failure);
        }

        if (ConformanceSuite.FromEnvironment)
        {
            Assert.True(failure is null, failure);
            return;
        }

        var known = KnownFailures.Value.ContainsKey(id);
        if (known)
        {
            Assert.False(failure is null, $"{id} passes now: remove it from known-failures.txt");
        }
        else
        {
            Assert.True(failure is null, failure);
        }
    }

    private static void RecordFailure(string id, string reason)
    {
        var path = Environment.GetEnvironmentVariable("REGO_WRITE_KNOWN_FAILURES");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var line = $"{id}  # {reason.Replace('\n', ' ').Replace('\r', ' ')}";
        if (line.Length > 240)
        {
            line = line[..240];
        }

        lock (WriteLock)
        {
            File.AppendAllText(path, line + "\n");
        }
    }

    private static Dictionary<string, string> LoadKnownFailures()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.Combine(AppContext.BaseDirectory, "known-failures.txt");
        if (!File.Exists(path))
        {
            return result;
        }

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

        return result;
    }
}
