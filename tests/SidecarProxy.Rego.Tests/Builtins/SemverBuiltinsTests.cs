using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class SemverBuiltinsTests
{
    [Theory]
    [InlineData("1.0.0", "1.0.0", 0)]
    [InlineData("1.0.0", "1.0.1", -1)]
    [InlineData("2.0.0", "1.9.9", 1)]
    [InlineData("1.0.0-alpha", "1.0.0", -1)]
    [InlineData("1.0.0-alpha", "1.0.0-alpha.1", -1)]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha.beta", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.11", -1)]
    [InlineData("1.0.0-rc.1", "1.0.0-beta.11", 1)]
    [InlineData("1.0.0+build.1", "1.0.0+build.2", 0)]
    [InlineData("v1.2.3", "1.2.3", 0)]
    public void Compare_FollowsSemVerPrecedence(string a, string b, int expected)
    {
        Assert.Equal(N(expected), Call("semver.compare", S(a), S(b)));
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("1.0.0-rc.1+build.5", true)]
    [InlineData("1.0", false)]
    [InlineData("1.0.0-", true)]
    [InlineData("1.0.0-a..b", false)]
    [InlineData("a.b.c", false)]
    [InlineData("1.0.0+bad_meta", false)]
    public void IsValid(string version, bool valid)
    {
        Assert.Equal(RegoBoolean.From(valid), Call("semver.is_valid", S(version)));
    }

    [Fact]
    public void IsValidOfNonString_IsFalse()
    {
        Assert.Equal(RegoBoolean.False, Call("semver.is_valid", N(1)));
    }

    [Fact]
    public void Compare_InvalidVersion_IsBuiltinError()
    {
        Assert.Equal("operand 2: string \"1.0\" is not a valid SemVer", Throws<BuiltinErrorException>("semver.compare", S("1.0.0"), S("1.0")).Message);
        Assert.Equal("operand 1 must be string but got number", Throws<BuiltinTypeException>("semver.compare", N(1), S("1.0.0")).Message);
    }
}
