namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// Host, <c>:authority</c> and SNI on a Host-matched route. One name decides: the <c>Host</c> Kestrel hands the
/// application, which for HTTP/2 Kestrel overwrites with <c>:authority</c>. Routing, the policy
/// (<c>input.attributes.request.http.host</c>) and the audit all read that value. SNI names the sidecar, not a
/// tool, and is not used.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class HostAuthorityTests(HostileFixture fixture)
{
    [Fact]
    public async Task Http2HostDisagreeingWithAuthority_AuthorityWins_HostToolNotReached()
    {
        var marker = HostileFixture.Marker();
        var before = await fixture.DenialsAsync("unknown_tool");
        await using var connection = await fixture.OpenAsync("h2");

        var outcome = await RawHttp2.SendAsync(
            connection,
            (":method", "GET"), (":scheme", "https"), (":path", $"/{marker}"), (":authority", "localhost"), ("host", "hosttool.test"));

        Assert.Equal(404, outcome.Status);
        Assert.Contains("\"code\":\"unknown_tool\"", outcome.Body, StringComparison.Ordinal);
        Assert.False(fixture.UpstreamSaw(marker));
        Assert.Equal(before + 1, await fixture.DenialsAsync("unknown_tool"));
    }

    [Fact]
    public async Task Http2AuthorityOfAHostTool_WithAnotherHost_PolicySeesTheAuthority()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync("h2");

        var outcome = await RawHttp2.SendAsync(
            connection,
            (":method", "GET"), (":scheme", "https"), (":path", $"/{marker}"), (":authority", "hosttool.test"), ("host", "localhost"));

        Assert.Equal(200, outcome.Status);
        var asked = Assert.Single(fixture.Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(("hosttool", "hosttool.test", "hosttool.test"), (asked.ToolId, asked.Host, asked.Headers["host"]));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("other.example")]
    public async Task SniDisagreeingWithHost_HostRoutes(string sni)
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync(sni: sni);

        var response = await connection.RoundTripAsync($"GET /{marker} HTTP/1.1\r\nHost: hosttool.test\r\n\r\n");

        Assert.Equal(200, response?.Status);
        var asked = Assert.Single(fixture.Bed.Policy.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal(("hosttool", "hosttool.test"), (asked.ToolId, asked.Host));
    }

    [Theory]
    [InlineData("absolute form naming another host", "GET https://other.test/{m} HTTP/1.1\r\nHost: hosttool.test\r\n\r\n")]
    [InlineData("two Host headers", "GET /{m} HTTP/1.1\r\nHost: hosttool.test\r\nHost: other.test\r\n\r\n")]
    [InlineData("no Host header", "GET /{m} HTTP/1.1\r\n\r\n")]
    [InlineData("Host with a path", "GET /{m} HTTP/1.1\r\nHost: hosttool.test/x\r\n\r\n")]
    public async Task AmbiguousHost_Is400FromKestrel_NothingForwarded(string probe, string request)
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync(request.Replace("{m}", marker, StringComparison.Ordinal));

        Assert.True(response is { Status: 400, Code: null }, $"{probe}: got {response?.Status} {response?.Code}");
        Assert.False(fixture.UpstreamSaw(marker), $"{probe}: reached the upstream");
        Assert.False(fixture.PolicyAsked(marker));
    }
}
