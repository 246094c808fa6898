namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// Where OPA's conformance cases are: the folder OPA_CONFORMANCE_DIR names, else the nearest
/// shared/opa-conformance/v1 above the test assembly (CI clones the repository with ../shared beside it).
/// When neither exists, <see cref="Problem"/> says where it looked and how to point the tests at the cases.
/// </summary>
public sealed class ConformanceFolder
{
    public const string EnvironmentVariable = "OPA_CONFORMANCE_DIR";

    private const string HowToPoint =
        "Point " + EnvironmentVariable + " at OPA's Rego v1 conformance cases (v1/test/cases/testdata/v1 in a checkout of "
        + "https://github.com/open-policy-agent/opa), e.g. " + EnvironmentVariable
        + "=/path/to/opa/v1/test/cases/testdata/v1 dotnet test tests/SidecarProxy.Rego.Conformance";

    private ConformanceFolder(string? path, string? problem)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The folder holding the cases, or null when none was found.</summary>
    public string? Path { get; }

    /// <summary>Why there is no folder (null when there is one).</summary>
    public string? Problem { get; }

    public static ConformanceFolder Locate() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);

    public static ConformanceFolder Locate(string? environmentValue, string startDirectory)
    {
        // An explicit setting wins: falling back to another folder would run cases the caller did not ask for.
        if (!string.IsNullOrEmpty(environmentValue))
        {
            var full = System.IO.Path.GetFullPath(environmentValue);
            return Directory.Exists(full)
                ? new ConformanceFolder(full, null)
                : new ConformanceFolder(null, $"{EnvironmentVariable}={environmentValue} is not a folder (resolved to {full}). {HowToPoint}");
        }

        var searched = new List<string>();
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "opa-conformance", "v1");
            if (Directory.Exists(candidate))
            {
                return new ConformanceFolder(candidate, null);
            }

            searched.Add(candidate);
        }

        return new ConformanceFolder(
            null,
            $"No OPA conformance cases: {EnvironmentVariable} is not set and none of these folders exists: {string.Join(", ", searched)}. {HowToPoint}");
    }
}
