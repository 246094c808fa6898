using SidecarProxy.Credentials;

namespace SidecarProxy.Tests.Credentials;

public sealed class ScopeSetTests
{
    [Theory]
    [InlineData(new string[0], "")]
    [InlineData(new[] { "repo:read" }, "repo:read")]
    [InlineData(new[] { "b", "a" }, "a b")]
    [InlineData(new[] { "a", "a", "b" }, "a b")]
    [InlineData(new[] { "a", "b" }, "a b")]
    [InlineData(new[] { "B", "a" }, "B a")]
    public void Normalize_SortsOrdinallyAndDeduplicates(string[] scopes, string joined) =>
        Assert.Equal(joined, ScopeSet.Join(ScopeSet.Normalize(scopes)));

    [Fact]
    public void AlreadyNormalizedList_IsReturnedAsIs()
    {
        IReadOnlyList<string> scopes = ["demo:read", "demo:write"];
        Assert.Same(scopes, ScopeSet.Normalize(scopes));
    }

    [Theory]
    [InlineData("b has-space")]
    [InlineData("b\"quote")]
    [InlineData("b\\slash")]
    [InlineData("")]
    public void InvalidScope_IsRefused_EvenInAnOtherwiseOrderedList(string bad)
    {
        var ex = Assert.Throws<CredentialUnavailableException>(() => ScopeSet.Normalize(["a", bad]));
        Assert.Equal("a requested scope is not a valid scope token", ex.Message);
    }

    [Fact]
    public void ExtraScopes_AreMerged()
    {
        IReadOnlyList<string> scopes = ["a"];
        Assert.Equal("a b", ScopeSet.Join(ScopeSet.Normalize(scopes, ["b", "a"])));
    }
}
