using SidecarProxy.Routing;

namespace SidecarProxy.Tests.Routing;

public sealed class PathGuardTests
{
    [Theory]
    [InlineData("/tools/echo/a/b")]
    [InlineData("/tools/echo/a%20b?x=%2f")]
    [InlineData("/tools/echo/caf%C3%A9/file%2ejson")]
    [InlineData("/tools/echo/../other/x")]
    [InlineData("*")]
    public void Reject_KeepsOrdinaryTargets(string target) =>
        Assert.Equal(PathVerdict.Keep, PathGuard.Check(target, PathMode.Reject));

    [Theory]
    [InlineData("/a/%2e%2e/b", "encoded dot segment")]
    [InlineData("/a/%2E/b", "encoded dot segment")]
    [InlineData("/a%2fb", "encoded slash")]
    [InlineData("/a%252fb", "double percent-encoding")]
    [InlineData("/a\\b", "backslash")]
    [InlineData("/a%5Cb", "encoded backslash")]
    [InlineData("/a//b", "empty segment")]
    [InlineData("/a;x=1/b", "segment parameters")]
    [InlineData("/a%3Bb", "encoded ';'")]
    [InlineData("/a%c0%afb", "not valid UTF-8")]
    [InlineData("/a%zz", "malformed percent-encoding")]
    [InlineData("/a%2", "malformed percent-encoding")]
    [InlineData("/a%0d%0ab", "control character")]
    [InlineData("https://host/a%2fb?q", "encoded slash")]
    public void Reject_RefusesTargetsAToolCouldReadAnotherWay(string target, string problem)
    {
        var verdict = PathGuard.Check(target, PathMode.Reject);

        Assert.True(verdict.Rejected);
        Assert.Contains(problem, verdict.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/a/b", "/a/b")]
    [InlineData("/a/%2e%2e/b", "/b")]
    [InlineData("/a/b/%2e%2e/%2e%2e/%2e%2e/c", "/c")]
    [InlineData("/a%2fb", "/a/b")]
    [InlineData("/a%252fb", "/a/b")]
    [InlineData("/a%25252fb", "/a/b")]
    [InlineData("//a\\\\b/", "/a/b/")]
    [InlineData("/a/./b/.", "/a/b/")]
    [InlineData("/caf%C3%A9", "/café")]
    [InlineData("/a%20b?q=%2f", "/a b")]
    [InlineData("/", "/")]
    public void Normalize_DecodesUntilStableAndResolves(string target, string expected)
    {
        var verdict = PathGuard.Check(target, PathMode.Normalize);

        Assert.False(verdict.Rejected, verdict.Problem);
        Assert.Equal(expected, verdict.Path);
    }

    [Theory]
    [InlineData("/a;b")]
    [InlineData("/a%3bb")]
    [InlineData("/a%c0%afb")]
    [InlineData("/a%2525252fb")]
    [InlineData("/a%00b")]
    [InlineData("/a%zz")]
    public void Normalize_RefusesWhatHasNoSafeForm(string target) =>
        Assert.True(PathGuard.Check(target, PathMode.Normalize).Rejected);

    [Fact]
    public void Normalize_IsIdempotent()
    {
        var once = PathGuard.Check("/x/%252e%252e/a%2fb//c\\d", PathMode.Normalize).Path!;

        Assert.Equal("/a/b/c/d", once);
        Assert.Equal(once, PathGuard.Check(once, PathMode.Normalize).Path);
    }
}
