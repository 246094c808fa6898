using System.Net;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// Path tricks in the default mode (<c>Sidecar:Paths:Mode=reject</c>): a target a tool could read another way than
/// the policy is refused with <c>400 path_rejected</c> before routing, so no tool and no policy sees it.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class PathTests(HostileFixture fixture)
{
    // {m} is replaced by the test's marker.
    [Theory]
    [InlineData("encoded dot segments", "/tools/echo/{m}/%2e%2e/%2e%2e/other/x")]
    [InlineData("half-encoded dot segment", "/tools/echo/{m}/.%2E/x")]
    [InlineData("encoded slash", "/tools/echo/{m}/a%2fb")]
    [InlineData("encoded slash, upper case", "/tools/echo/{m}/a%2Fb")]
    [InlineData("double-encoded slash", "/tools/echo/{m}/a%252fb")]
    [InlineData("double encoding built from single escapes", "/tools/echo/{m}/%%32%66")]
    [InlineData("backslash", "/tools/echo/{m}/a\\b")]
    [InlineData("encoded backslash", "/tools/echo/{m}/a%5cb")]
    [InlineData("empty segment", "/tools/echo/{m}//b")]
    [InlineData("segment parameter", "/tools/echo/{m}/a;x=1/b")]
    [InlineData("encoded segment parameter", "/tools/echo/{m}/a%3bb")]
    [InlineData("overlong UTF-8 slash", "/tools/echo/{m}/a%c0%afb")]
    [InlineData("invalid UTF-8", "/tools/echo/{m}/a%ffb")]
    [InlineData("absolute form with an encoded slash", "https://x/tools/echo/{m}/a%2fb")]
    public async Task SuspiciousPath_Is400PathRejected_NothingForwarded(string probe, string target)
    {
        var marker = HostileFixture.Marker();
        var before = await fixture.DenialsAsync("path_rejected");
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"GET {target.Replace("{m}", marker, StringComparison.Ordinal)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.True(response is { Status: 400, Code: "path_rejected" }, $"{probe}: got {response?.Status} {response?.Code}");
        Assert.False(fixture.UpstreamSaw(marker), $"{probe}: reached the upstream");
        Assert.False(fixture.PolicyAsked(marker), $"{probe}: reached the policy");
        Assert.Equal(before + 1, await fixture.DenialsAsync("path_rejected"));
    }

    [Fact]
    public async Task RejectedPath_IsAuditedWithoutLeakingTheQuery()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"GET /tools/echo/{marker}/a%2fb?token=secret-value HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal((400, "path_rejected"), (response?.Status, response?.Code));
        Assert.DoesNotContain("secret-value", response!.Body, StringComparison.Ordinal);
        var audit = await fixture.AuditLineAsync(marker);
        Assert.Equal("path_rejected", audit?.GetProperty("reason").GetString());
        Assert.DoesNotContain("secret-value", audit!.Value.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http2EncodedSlash_Is400PathRejected()
    {
        var marker = HostileFixture.Marker();
        using var client = fixture.Bed.Agent();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/echo/{marker}/a%2Fb", UriKind.Relative))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request);

        Assert.Equal(new Version(2, 0), response.Version);
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((400, "path_rejected"), (problem.Status, problem.Code));
        Assert.False(fixture.UpstreamSaw(marker));
    }

    [Fact]
    public async Task NulInPath_Is400FromKestrel()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"GET /tools/echo/{marker}/a%00b HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal((400, null), (response?.Status, response?.Code));
        Assert.True(await connection.ClosedAsync());
        Assert.False(fixture.UpstreamSaw(marker));
    }

    [Fact]
    public async Task LiteralDotSegments_AreResolvedByKestrel_PolicyAndToolSeeTheSamePath()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"GET /tools/echo/x/../../other/{marker} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(200, response?.Status);
        var asked = Assert.Single(fixture.Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(("other", $"/{marker}"), (asked.ToolId, asked.Path));
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal($"/{marker}", forwarded.RawTarget);
    }

    [Fact]
    public async Task OrdinaryEscapes_PassAndTheToolGetsThePathThePolicySaw()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"GET /tools/echo/{marker}/a%20b/caf%C3%A9/file.json HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(200, response?.Status);
        var asked = Assert.Single(fixture.Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal($"/{marker}/a b/café/file.json", asked.Path);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(asked.Path, forwarded.Path);
        Assert.Equal($"/{marker}/a%20b/caf%C3%A9/file.json", forwarded.RawTarget);
    }
}

/// <summary>
/// <c>Sidecar:Paths:Mode=normalize</c>: the target is decoded until stable, backslashes become slashes, empty and dot
/// segments are resolved, and that one path is routed, decided on and forwarded. A tool that decodes again gets the
/// same path, since the forwarded path holds no escape but those of non-ASCII characters.
/// </summary>
public sealed class NormalizedPathTests(NormalizedPathTests.Bed fixture) : IClassFixture<NormalizedPathTests.Bed>
{
    private SidecarTestBed Sidecar => fixture.Value;

    [Theory]
    [InlineData("/tools/echo/x/%2e%2e/%2e%2e/other/{m}", "other", "/{m}")]
    [InlineData("/tools/echo/{m}/a%2fb", "echo", "/{m}/a/b")]
    [InlineData("/tools/echo/{m}/a%252fb", "echo", "/{m}/a/b")]
    [InlineData("/tools/echo/{m}/%25252fx", "echo", "/{m}/x")]
    [InlineData("/tools/echo/{m}//a\\b/", "echo", "/{m}/a/b/")]
    [InlineData("/tools/echo/{m}/a%5c..%5cb", "echo", "/{m}/b")]
    [InlineData("/tools/echo/{m}/a%2520b", "echo", "/{m}/a b")]
    public async Task TrickPath_IsNormalized_PolicyDecidesOnAndToolGetsExactlyThatPath(string target, string tool, string expected)
    {
        var marker = HostileFixture.Marker();
        await using var connection = await HostileFixture.OpenAsync(Sidecar);

        var response = await connection.RoundTripAsync($"GET {target.Replace("{m}", marker, StringComparison.Ordinal)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(200, response?.Status);
        var path = expected.Replace("{m}", marker, StringComparison.Ordinal);
        var asked = Assert.Single(Sidecar.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal((tool, path), (asked.ToolId, asked.Path));
        var forwarded = Assert.Single(Sidecar.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(path, forwarded.Path);
        Assert.Equal(path.Replace(" ", "%20", StringComparison.Ordinal), forwarded.RawTarget);
        Assert.DoesNotContain("%2", forwarded.RawTarget.Replace("%20", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("segment parameter", "/tools/echo/{m}/a;x=1/b")]
    [InlineData("encoded segment parameter", "/tools/echo/{m}/a%3bb")]
    [InlineData("overlong UTF-8 slash", "/tools/echo/{m}/a%c0%afb")]
    [InlineData("encoded four times", "/tools/echo/{m}/a%252525252fb")]
    [InlineData("encoded control character", "/tools/echo/{m}/a%250ab")]
    [InlineData("stray percent sign", "/tools/echo/{m}/%%32%66")]
    public async Task PathThatCannotBeNormalized_Is400PathRejected(string probe, string target)
    {
        var marker = HostileFixture.Marker();
        var before = (await Sidecar.ScrapeAsync())[Denials];
        await using var connection = await HostileFixture.OpenAsync(Sidecar);

        var response = await connection.RoundTripAsync($"GET {target.Replace("{m}", marker, StringComparison.Ordinal)} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.True(response is { Status: 400, Code: "path_rejected" }, $"{probe}: got {response?.Status} {response?.Code}");
        Assert.False(HostileFixture.UpstreamSaw(Sidecar, marker));
        Assert.Equal(before + 1, (await Sidecar.ScrapeAsync())[Denials]);
    }

    private const string Denials = "sidecar_denials_total{reason=\"path_rejected\"}";

    /// <summary>One sidecar in normalize mode for the class; its tests run one at a time.</summary>
    public sealed class Bed : IAsyncLifetime
    {
        internal SidecarTestBed Value { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Value = await HostileFixture.StartBedAsync(new() { ["Sidecar:Paths:Mode"] = "normalize" });

        public async Task DisposeAsync() => await Value.DisposeAsync();
    }
}
