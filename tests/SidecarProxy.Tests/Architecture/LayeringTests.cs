using SidecarProxy.Hosting;

namespace SidecarProxy.Tests.Architecture;

/// <summary>
/// The sidecar's folders form layers, not a knot: shared per-request types live in <c>Model</c> (and SPIFFE names in
/// <c>Spiffe</c>), each concern uses those and the concerns below it, and only the wiring (<c>Hosting</c>,
/// <c>Pipeline</c>) sees everything.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Dictionary<string, HashSet<string>> Graph =
        NamespaceDependencies.Of(typeof(SidecarApplication).Assembly);

    [Fact]
    public void NoFolderDependsOnItselfThroughOthers()
    {
        var cycles = NamespaceDependencies.Cycles(Graph);

        var edges = cycles.SelectMany(c => c.SelectMany(from => Graph[from].Where(c.Contains).Select(to => $"{from} -> {to}")));
        Assert.True(cycles.Count == 0, "namespace cycles, edges inside them: " + string.Join(", ", edges));
    }

    [Theory]
    [InlineData("Spiffe")]
    [InlineData("Model")]
    public void FoundationsUseNoConcern(string folder)
    {
        var used = Graph.GetValueOrDefault(folder, []);

        Assert.True(used.IsSubsetOf(["Spiffe"]), $"{folder} uses {string.Join(", ", used)}");
    }

    [Fact]
    public void NothingButTheWiringUsesTheWiring()
    {
        string[] wiring = ["Hosting", "Pipeline"];

        var users = Graph.Where(e => !wiring.Contains(e.Key) && e.Value.Overlaps(wiring)).Select(e => e.Key);

        Assert.Empty(users);
    }

    [Fact]
    public void TheCheckSeesRealDependencies()
    {
        // Guards the reader itself: these edges exist by design, so an empty graph would be a broken check.
        Assert.Contains("Model", Graph["Pipeline"]);
        Assert.Contains("Identity", Graph["Hosting"]);
    }
}
