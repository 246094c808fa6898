using System.Net;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// Size limits (<c>Sidecar:Limits</c>; here 1 KiB bodies and 4 KiB headers): headers over the limit are refused by
/// Kestrel with 431, a body whose length is known to be over it by the sidecar with <c>413 body_too_large</c>,
/// before anything is forwarded.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class LimitsTests(HostileFixture fixture)
{
    [Fact]
    public async Task HeadersOverTheLimit_Are431FromKestrel_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        await using var connection = await fixture.OpenAsync();

        var response = await connection.RoundTripAsync(
            $"GET /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', HostileFixture.MaxHeaders)}\r\n\r\n");

        Assert.Equal(431, response?.Status);
        Assert.False(fixture.UpstreamSaw(marker));
    }

    [Fact]
    public async Task Http2HeadersOverTheLimit_Are431FromKestrel_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        using var client = fixture.Bed.Agent();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/echo/{marker}", UriKind.Relative))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("X-Big", new string('a', HostileFixture.MaxHeaders));

        // Kestrel answers 431; on a busy machine it may instead have reset the stream before the answer was read
        // (seen once in a full run). Either way the request never reaches the tool.
        int? status;
        try
        {
            using var response = await client.SendAsync(request);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = null;
        }

        Assert.True(status is null or 431, $"status {status}");
        Assert.False(fixture.UpstreamSaw(marker));
    }

    [Fact]
    public async Task BodyWithContentLengthOverTheLimit_Is413BodyTooLarge_ConnectionClosed_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        var before = await fixture.DenialsAsync("body_too_large");
        await using var connection = await fixture.OpenAsync();

        var body = new string('a', HostileFixture.MaxBody + 1);
        var response = await connection.RoundTripAsync(
            $"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n{body}");

        Assert.Equal((413, "body_too_large"), (response?.Status, response?.Code));
        Assert.True(await connection.ClosedAsync());
        Assert.False(fixture.UpstreamSaw(marker));
        Assert.Equal(before + 1, await fixture.DenialsAsync("body_too_large"));
        var audit = await fixture.AuditLineAsync(marker);
        Assert.Equal("body_too_large", audit?.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Http2BodyWithContentLengthOverTheLimit_Is413BodyTooLarge_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        using var client = fixture.Bed.Agent();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/tools/echo/{marker}", UriKind.Relative))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[HostileFixture.MaxBody + 1]),
        };

        using var response = await client.SendAsync(request);

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((413, "body_too_large"), (problem.Status, problem.Code));
        Assert.False(fixture.UpstreamSaw(marker));
    }

    [Fact]
    public async Task BodyAtTheLimit_IsForwarded()
    {
        var marker = HostileFixture.Marker();
        using var client = fixture.Bed.Agent();

        using var response = await client.PostAsync(
            new Uri($"/tools/echo/{marker}", UriKind.Relative), new ByteArrayContent(new byte[HostileFixture.MaxBody]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(fixture.UpstreamSaw(marker));
    }
}
