using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Engine;

/// <summary><see cref="RegoObject.FromMembers"/> (how the proxy builds each request's input) is the same object as a parsed one.</summary>
public sealed class RegoObjectMembersTests
{
    private static KeyValuePair<RegoValue, RegoValue> M(string key, RegoValue value) => new(new RegoString(key), value);

    [Fact]
    public void SmallObject_EqualsTheParsedOne_InValueHashOrderAndJson()
    {
        var built = RegoObject.FromMembers(M("b", new RegoString("2")), M("a", RegoBoolean.True), M("c", RegoNull.Instance));
        var parsed = RegoJson.Parse("""{"a": true, "b": "2", "c": null}""");

        Assert.Equal(parsed, built);
        Assert.Equal(parsed.GetHashCode(), built.GetHashCode());
        Assert.Equal("""{"a":true,"b":"2","c":null}""", RegoJson.Serialize(built));
        Assert.True(built.TryGetValue("b", out var b));
        Assert.Equal(new RegoString("2"), b);
        Assert.False(built.TryGetValue("d", out _));
    }

    [Fact]
    public void LargeObject_FallsBackToAHashTable_WithTheSameValue()
    {
        var members = Enumerable.Range(0, 20).Select(i => M($"k{i:D2}", RegoNumber.FromLong(i))).Reverse().ToArray();
        var built = RegoObject.FromMembers(members);

        Assert.Equal(20, built.Count);
        Assert.Equal(RegoObject.From(members), built);
        Assert.True(built.TryGetValue("k07", out var seven));
        Assert.Equal(RegoNumber.FromLong(7), seven);
    }

    [Fact]
    public void DuplicateKeys_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => RegoObject.FromMembers(M("a", RegoBoolean.True), M("a", RegoBoolean.False)));
    }

    [Fact]
    public void NoMembers_IsTheEmptyObject() => Assert.Equal(RegoObject.Empty, RegoObject.FromMembers());
}
