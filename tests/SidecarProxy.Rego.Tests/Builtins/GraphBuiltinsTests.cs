using SidecarProxy.Rego.Builtins;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class GraphBuiltinsTests
{
    private static readonly string Graph = """{"a":["b"],"b":["c","d"],"c":["a"],"d":[],"e":["f"]}""";

    [Fact]
    public void Reachable_FollowsEdgesAndCycles()
    {
        AssertValue("""["a","b","c","d"]""", Call("graph.reachable", J(Graph), Arr(S("a"))));
        AssertValue("""["e"]""", Call("graph.reachable", J(Graph), Set(S("e"))));
        AssertValue("[]", Call("graph.reachable", J(Graph), Arr(S("zzz"))));
    }

    [Fact]
    public void Reachable_WrongInitialType_IsTypeError()
    {
        var ex = Throws<BuiltinTypeException>("graph.reachable", J(Graph), S("a"));
        Assert.Equal("operand 2 must be one of {array, set} but got string", ex.Message);
    }

    [Fact]
    public void ReachablePaths_EndsAtLeavesCyclesAndMissingNodes()
    {
        AssertValue("""[["a","b","c"],["a","b","d"]]""", Call("graph.reachable_paths", J(Graph), Arr(S("a"))));
        AssertValue("""[["e"]]""", Call("graph.reachable_paths", J(Graph), Arr(S("e"))));
        AssertValue("""[["d"]]""", Call("graph.reachable_paths", J(Graph), Arr(S("d"))));
    }

    [Fact]
    public void ReachablePaths_LongChain_DoesNotOverflowTheStack()
    {
        var edges = Enumerable.Range(0, 100_000).Select(i => new KeyValuePair<string, SidecarProxy.Rego.Values.RegoValue>($"n{i}", Arr(S($"n{i + 1}"))));
        var graph = SidecarProxy.Rego.Values.RegoObject.FromStrings(edges);
        var ex = Record.Exception(() => Call("graph.reachable_paths", graph, Arr(S("n0"))));
        Assert.True(ex is null or BuiltinErrorException, ex?.GetType().Name);
        Assert.NotNull(Call("graph.reachable", graph, Arr(S("n0"))));
    }
}
