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
}
