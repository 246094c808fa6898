namespace SidecarProxy.TestSupport;

internal static class RepositoryPaths
{
    /// <summary>The repository root: the nearest ancestor of the test assembly holding SidecarProxy.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SidecarProxy.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("SidecarProxy.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Policies => Path.Combine(Root, "policies");
}
