using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class WalkBuiltinsTests
{
    [Fact]
    public void Walk_VisitsEveryNodePreOrder()
    {
        var results = CallRelation("walk", J("""{"b":[true,{"c":1}],"a":null}"""));
        var expected = new[]
        {
            """[[],{"a":null,"b":[true,{"c":1}]}]""",
            """[["a"],null]""",
            """[["b"],[true,{"c":1}]]""",
            """[["b",0],true]""",
            """[["b",1],{"c":1}]""",
            """[["b",1,"c"],1]""",
        };
        Assert.Equal(expected.Select(J), results);
    }

    [Fact]
    public void Walk_SetElementsAreTheirOwnKeys()
    {
        var results = CallRelation("walk", Set(S("x"), N(1)));
        Assert.Equal(3, results.Count);
        Assert.Equal(Arr(Arr(N(1)), N(1)), results[1]);
        Assert.Equal(Arr(Arr(S("x")), S("x")), results[2]);
    }

    [Fact]
    public void Walk_Scalar_YieldsItself()
    {
        Assert.Equal([Arr(RegoArray.Empty, S("s"))], CallRelation("walk", S("s")));
    }
}
