using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class SetBuiltinsTests
{
    [Fact]
    public void Intersection_OfSetOfSets()
    {
        Is(S(N("2"), N("3")), "intersection", S(S(N("1"), N("2"), N("3")), S(N("2"), N("3"), N("4"))));
        Is(RegoSet.Empty, "intersection", RegoSet.Empty);
        Is(S(N("1")), "intersection", S(S(N("1"))));
        Is(RegoSet.Empty, "intersection", S(S(N("1")), S(N("2"))));
    }

    [Fact]
    public void Union_OfSetOfSets()
    {
        Is(S(N("1"), N("2"), N("3"), N("4")), "union", S(S(N("1"), N("2")), S(N("3"), N("4")), RegoSet.Empty));
        Is(RegoSet.Empty, "union", RegoSet.Empty);
    }

    [Fact]
    public void Errors_AsOpa()
    {
        TypeError("operand 1 must be set but got array", "intersection", J("[]"));
        TypeError("operand 1 must be set but got number", "intersection", S(S(N("1")), N("2")));
        TypeError("operand 1 must be set but got array", "union", S(J("[1]")));
    }
}
