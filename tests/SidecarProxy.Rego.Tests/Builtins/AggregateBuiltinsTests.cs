using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class AggregateBuiltinsTests
{
    [Fact]
    public void Count_AllCollectionsAndRunes()
    {
        Is(N("3"), "count", J("[1, 2, 3]"));
        Is(N("2"), "count", J("{\"a\": 1, \"b\": 2}"));
        Is(N("2"), "count", S(N("1"), N("2")));
        Is(N("0"), "count", Str(string.Empty));
        Is(N("5"), "count", Str("héllo"));
        Is(N("2"), "count", Str("a\U0001F600"));
        Is(N("1"), "count", Str("\uFFFD"));
        TypeError("operand 1 must be one of {array, object, set, string} but got null", "count", RegoNull.Instance);
        TypeError("operand 1 must be one of {array, object, set, string} but got number", "count", N("1"));
    }

    [Fact]
    public void Sum_ExactOnIntegers()
    {
        Is(N("10"), "sum", J("[1, 2, 3, 4]"));
        Is(N("0"), "sum", J("[]"));
        Is(N("6"), "sum", S(N("1"), N("2"), N("3")));
        Is(N("36893488147419103230"), "sum", J("[18446744073709551615, 18446744073709551615]"));
        Is(N("49649733058"), "sum", J("[49649733057, 1]"));
    }

    [Fact]
    public void Sum_FractionsInOpasPrecision()
    {
        Is(N("0.3"), "sum", J("[0.1, 0.2]"));
        Is(N("3.5"), "sum", J("[1, 2.5]"));
    }

    [Fact]
    public void Product_ExactOnIntegers()
    {
        Is(N("24"), "product", J("[1, 2, 3, 4]"));
        Is(N("1"), "product", J("[]"));
        Is(N("18446744073709551616"), "product", J("[4294967296, 4294967296]"));
        Is(N("3"), "product", J("[1.5, 2]"));
        Is(N("6"), "product", S(N("2"), N("3")));
    }

    [Fact]
    public void SumAndProduct_Errors()
    {
        TypeError("operand 1 must be array of numbers but got array containing string", "sum", J("[1, \"a\"]"));
        TypeError("operand 1 must be set of numbers but got set containing string", "product", S(N("1"), Str("a")));
        TypeError("operand 1 must be one of {set, array} but got object", "sum", J("{}"));
        TypeError("operand 1 must be one of {set, array} but got string", "product", Str("a"));
    }

    [Fact]
    public void MaxMin_UseOpaOrdering()
    {
        Is(N("4"), "max", J("[1, 4, 2]"));
        Is(N("1"), "min", J("[3, 1, 2]"));
        Is(Str("a"), "max", J("[1, \"a\", null]"));
        Is(RegoNull.Instance, "min", J("[1, \"a\", null]"));
        Is(N("3"), "max", S(N("1"), N("3")));
        Is(J("[1, 2]"), "max", J("[[1, 1], [1, 2], [0, 9]]"));
        Assert.Null(Call("max", J("[]")));
        Assert.Null(Call("min", RegoSet.Empty));
        TypeError("operand 1 must be one of {set, array} but got number", "max", N("1"));
    }

    [Fact]
    public void Sort_ArrayOrSetToSortedArray()
    {
        Is("[1, 2, 3]", "sort", J("[3, 1, 2]"));
        Is("[null, false, 1, \"a\", [], {}]", "sort", J("[{}, [], \"a\", 1, false, null]"));
        Is("[1, 2]", "sort", S(N("2"), N("1")));
        Is("[]", "sort", J("[]"));
        TypeError("operand 1 must be one of {set, array} but got object", "sort", J("{}"));
    }
}
