namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// Request smuggling: a request whose body length two parsers could read differently is refused with 400 and its
/// connection closed, as nginx does since 1.21.1; nothing reaches the tool, not even a request hidden in the body.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class SmugglingTests(HostileFixture fixture)
{
    [Theory]
    [InlineData("Content-Length: 4\r\nTransfer-Encoding: chunked")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 4")]
    [InlineData("Content-Length: 0\r\nTransfer-Encoding: chunked")]
    public async Task AmbiguousBodyLength_Is400FramingRejected_ConnectionClosed_NothingForwarded(string framing)
    {
        var marker = HostileFixture.Marker();
        var before = await fixture.DenialsAsync("framing_rejected");
        await using var connection = await fixture.OpenAsync();

        // CL.TE: a front end reading Content-Length would forward the chunked terminator and the hidden request.
        var response = await connection.RoundTripAsync(
            $"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n" +
            $"0\r\n\r\nGET /tools/echo/{marker}-smuggled HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.NotNull(response);
        Assert.Equal((400, "framing_rejected"), (response.Status, response.Code));
        Assert.Equal("close", response.Headers["Connection"]);
        Assert.True(await connection.ClosedAsync(), "the connection stayed open after ambiguous framing");
        Assert.False(fixture.UpstreamSaw(marker));
        Assert.Equal(before + 1, await fixture.DenialsAsync("framing_rejected"));
        var audit = await fixture.AuditLineAsync(marker);
        Assert.Equal("framing_rejected", audit?.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("duplicate Content-Length", "Content-Length: 4\r\nContent-Length: 5", "abcde")]
    [InlineData("duplicate equal Content-Length", "Content-Length: 4\r\nContent-Length: 4", "abcd")]
    [InlineData("Content-Length list", "Content-Length: 4, 4", "abcd")]
    [InlineData("chunked not the final coding", "Transfer-Encoding: chunked, identity", "")]
    [InlineData("obsolete line folding", "X-Folded: a\r\n b", "")]
    [InlineData("bare CR in a header value", "X-Value: a\rb", "")]
    [InlineData("bare LF as a line end", "X-Value: a\nX-Other: b", "")]
    [InlineData("space before the colon", "Content-Length : 4", "abcd")]
    public async Task MalformedFraming_Is400FromKestrel_ConnectionClosed_NothingForwarded(string probe, string headers, string body)
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync($"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\n{headers}\r\n\r\n{body}");

        Assert.True(response is { Status: 400 }, $"{probe}: got {response?.Status.ToString() ?? "no response"}");
        Assert.Null(response!.Code); // Kestrel's own answer, before any sidecar stage
        Assert.True(await connection.ClosedAsync(), $"{probe}: the connection stayed open");
        Assert.False(fixture.UpstreamSaw(marker), $"{probe}: reached the upstream");
        Assert.False(fixture.PolicyAsked(marker));
    }

    [Fact]
    public async Task Http2TransferEncoding_Is400FramingRejected_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        var before = await fixture.DenialsAsync("framing_rejected");
        await using var connection = await fixture.OpenAsync("h2");

        var outcome = await RawHttp2.SendAsync(
            connection,
            (":method", "POST"), (":scheme", "https"), (":path", $"/tools/echo/{marker}"), (":authority", "localhost"),
            ("transfer-encoding", "chunked"));

        Assert.Equal(400, outcome.Status);
        Assert.Contains("\"code\":\"framing_rejected\"", outcome.Body, StringComparison.Ordinal);
        Assert.False(fixture.UpstreamSaw(marker));
        Assert.Equal(before + 1, await fixture.DenialsAsync("framing_rejected"));
    }

    [Fact]
    public async Task SignedContentLength_IsReadAsItsValueByKestrel_AndFramedAnewForTheTool()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        // RFC 9110 allows only digits; Kestrel reads "+4" as 4 and the application never sees the sign.
        var response = await connection.RoundTripAsync($"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd");

        Assert.Equal(200, response?.Status);
        var forwarded = Assert.Single(fixture.Upstream.Requests, r => r.Path.Contains(marker, StringComparison.Ordinal));
        Assert.Equal("4", forwarded.Headers["content-length"]);
    }

    [Fact]
    public async Task ChunkedBodyAlone_IsForwarded()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync(
            $"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n");

        Assert.Equal(200, response?.Status);
        Assert.True(fixture.UpstreamSaw(marker));
    }
}
