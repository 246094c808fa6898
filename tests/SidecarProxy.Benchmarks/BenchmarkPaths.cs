namespace SidecarProxy.Benchmarks;

internal static class BenchmarkPaths
{
    /// <summary>The shipped policies: the nearest ancestor of the benchmark (or of the working directory) holding policies/.</summary>
    public static string Policies
    {
        get
        {
            foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "SidecarProxy.sln")))
                    {
                        return Path.Combine(dir.FullName, "policies");
                    }
                }
            }

            throw new InvalidOperationException("SidecarProxy.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
