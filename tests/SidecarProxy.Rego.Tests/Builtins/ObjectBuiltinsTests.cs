using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class ObjectBuiltinsTests
{
    private static readonly RegoValue Doc = J("{\"a\": {\"b\": [10, {\"c\": true}]}, \"n\": null}");

    [Fact]
    public void Get_KeyOrDefault()
    {
        Is(J("null"), "object.get", Doc, Str("n"), Str("dflt"));
        Is(Str("dflt"), "object.get", Doc, Str("missing"), Str("dflt"));
        var numeric = RegoObject.From([new(N("1"), Str("one"))]);
        Is(Str("one"), "object.get", numeric, N("1"), Str("dflt"));
        TypeError("operand 1 must be object but got array", "object.get", J("[]"), Str("a"), Str("d"));
    }

    [Fact]
    public void Get_PathIntoObjectsArraysAndSets()
    {
        Is(RegoBoolean.True, "object.get", Doc, J("[\"a\", \"b\", 1, \"c\"]"), Str("d"));
        Is(N("10"), "object.get", Doc, J("[\"a\", \"b\", 0]"), Str("d"));
        Is(Str("d"), "object.get", Doc, J("[\"a\", \"b\", 2]"), Str("d"));
        Is(Str("d"), "object.get", Doc, J("[\"a\", \"b\", \"0\"]"), Str("d"));
        Is(Str("d"), "object.get", Doc, J("[\"a\", \"b\", 0, \"x\"]"), Str("d"));
        Is(Doc, "object.get", Doc, J("[]"), Str("d"));
        var withSet = RegoObject.FromStrings([new("s", S(Str("x"), Str("y")))]);
        Is(Str("x"), "object.get", withSet, J("[\"s\", \"x\"]"), Str("d"));
        Is(Str("d"), "object.get", withSet, J("[\"s\", \"z\"]"), Str("d"));
    }

    [Fact]
    public void Keys_AsSet()
    {
        Is(S(Str("a"), Str("n")), "object.keys", Doc);
        Is(RegoSet.Empty, "object.keys", J("{}"));
        TypeError("operand 1 must be object but got string", "object.keys", Str("a"));
    }

    [Fact]
    public void RemoveAndFilter_TakeArraySetOrObjectKeys()
    {
        var obj = J("{\"a\": 1, \"b\": 2, \"c\": 3}");
        Is("{\"c\": 3}", "object.remove", obj, J("[\"a\", \"b\"]"));
        Is("{\"c\": 3}", "object.remove", obj, S(Str("a"), Str("b")));
        Is("{\"c\": 3}", "object.remove", obj, J("{\"a\": 0, \"b\": 0}"));
        Is("{\"a\": 1, \"b\": 2}", "object.filter", obj, J("[\"a\", \"b\", \"z\"]"));
        Is("{\"a\": 1}", "object.filter", obj, S(Str("a")));
        Is("{}", "object.filter", obj, J("{}"));
        TypeError("operand 2 must be one of {object, set, array} but got string", "object.remove", obj, Str("a"));
        TypeError("operand 2 must be one of {object, set, array} but got number", "object.filter", obj, N("1"));
        TypeError("operand 1 must be object but got array", "object.filter", J("[]"), J("[]"));
    }

    [Fact]
    public void RemoveAndFilter_NonStringKeys()
    {
        var obj = RegoObject.From([new(N("1"), Str("x")), new(J("[1]"), Str("y"))]);
        Is(RegoObject.From([new(J("[1]"), Str("y"))]), "object.remove", obj, J("[1]"));
        Is(RegoObject.From([new(J("[1]"), Str("y"))]), "object.filter", obj, J("[[1]]"));
    }

    [Fact]
    public void Union_MergesRecursivelyRightWins()
    {
        Is("{\"a\": 1, \"b\": {\"c\": 3, \"d\": 4}, \"e\": 5}", "object.union",
            J("{\"a\": 0, \"b\": {\"c\": 3}, \"e\": 5}"), J("{\"a\": 1, \"b\": {\"d\": 4}}"));
        Is("{\"a\": 2}", "object.union", J("{\"a\": {\"b\": 1}}"), J("{\"a\": 2}"));
        Is("{\"a\": {\"b\": 1}}", "object.union", J("{\"a\": 2}"), J("{\"a\": {\"b\": 1}}"));
        TypeError("operand 2 must be object but got array", "object.union", J("{}"), J("[]"));
    }

    [Fact]
    public void UnionN_FoldsLeftToRight()
    {
        Is("{\"a\": {\"c\": 3}}", "object.union_n", J("[{\"a\": {\"b\": 2}}, {\"a\": 4}, {\"a\": {\"c\": 3}}]"));
        Is("{\"a\": 1, \"b\": {\"c\": 1, \"d\": 2}}", "object.union_n", J("[{\"a\": 1, \"b\": {\"c\": 1}}, {\"b\": {\"d\": 2}}]"));
        Is("{}", "object.union_n", J("[]"));
        TypeError("operand 1 must be array of objects but got array containing string", "object.union_n", J("[1, {}, \"x\"]"));
        TypeError("operand 1 must be array but got set", "object.union_n", S());
    }

    [Theory]
    [InlineData("{\"a\": 1, \"b\": {\"c\": 2, \"d\": 3}}", "{\"b\": {\"c\": 2}}", true)]
    [InlineData("{\"a\": 1}", "{\"a\": 2}", false)]
    [InlineData("{\"a\": 1}", "{\"b\": 1}", false)]
    [InlineData("{\"a\": [1, 2, 3, 4]}", "{\"a\": [2, 3]}", true)]
    [InlineData("{\"a\": [1, 2, 3, 4]}", "{\"a\": [2, 4]}", false)]
    [InlineData("[1, 2, 1, 2, 3]", "[1, 2, 3]", true)]
    [InlineData("[1, 2]", "[]", true)]
    [InlineData("[]", "[]", true)]
    [InlineData("{}", "{}", true)]
    public void Subset_Json(string super, string sub, bool expected) => Is(RegoBoolean.From(expected), "object.subset", J(super), J(sub));

    [Fact]
    public void Subset_SetsAndArrayWithSet()
    {
        Is(RegoBoolean.True, "object.subset", S(N("1"), N("2")), S(N("1")));
        Is(RegoBoolean.False, "object.subset", S(N("1")), S(N("1"), N("2")));
        Is(RegoBoolean.True, "object.subset", J("[3, 1, 2]"), S(N("1"), N("2")));
        Is(RegoBoolean.False, "object.subset", J("[3, 1]"), S(N("1"), N("2")));
        Is(RegoBoolean.True, "object.subset", J("[1]"), RegoSet.Empty);
        Is(RegoBoolean.False, "object.subset", J("[]"), RegoSet.Empty);
        TypeError("both arguments object.subset must be of the same type or array and set", "object.subset", J("{}"), J("[]"));
        TypeError("both arguments object.subset must be of the same type or array and set", "object.subset", S(), J("[]"));
    }
}
