using System.Net;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// Slow and idle clients are dropped by Kestrel's limits, configured short here (1 s headers timeout, 1 s keep-alive,
/// 1000 B/s minimum body rate after 1.5 s), while another agent is served meanwhile. The bounds below are how long a
/// test waits at most, not measurements.
/// </summary>
public sealed class SlowClientTests(SlowClientTests.Bed fixture) : IClassFixture<SlowClientTests.Bed>
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private SidecarTestBed Sidecar => fixture.Value;

    [Fact]
    public async Task HeadersTrickled_ConnectionDropped_OtherAgentsServed_NothingForwarded()
    {
        var marker = HostileFixture.Marker();
        await using var slow = await HostileFixture.OpenAsync(Sidecar);
        await slow.SendAsync($"GET /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\n");

        var closed = false;
        var served = false;
        var deadline = DateTime.UtcNow + Bound;
        for (var i = 0; !closed && DateTime.UtcNow < deadline; i++)
        {
            try
            {
                await slow.SendAsync($"X-Slow-{i}: a\r\n");
            }
            catch (IOException)
            {
                closed = true;
                break;
            }

            closed = await slow.ClosedAsync(Step);
            served |= await ServedAsync();
        }

        Assert.True(closed, "a client trickling its headers was not dropped");
        Assert.True(served || await ServedAsync(), "another agent was not served meanwhile");
        Assert.False(HostileFixture.UpstreamSaw(Sidecar, marker));
    }

    [Fact]
    public async Task IdleConnection_WithoutARequest_IsClosed()
    {
        await using var idle = await HostileFixture.OpenAsync(Sidecar);

        Assert.True(await idle.ClosedAsync(Bound), "an idle connection was not closed");
        Assert.True(await ServedAsync());
    }

    [Fact]
    public async Task IdleKeepAliveConnection_AfterARequest_IsClosed()
    {
        var marker = HostileFixture.Marker();
        await using var idle = await HostileFixture.OpenAsync(Sidecar);

        var response = await idle.RoundTripAsync($"GET /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(200, response?.Status);
        Assert.True(await idle.ClosedAsync(Bound), "an idle keep-alive connection was not closed");
    }

    [Fact]
    public async Task BodyTrickled_ConnectionDropped_OtherAgentsServed()
    {
        var marker = HostileFixture.Marker();
        await using var slow = await HostileFixture.OpenAsync(Sidecar);
        await slow.SendAsync($"POST /tools/echo/{marker} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");

        var closed = false;
        var served = false;
        var deadline = DateTime.UtcNow + Bound;
        while (!closed && DateTime.UtcNow < deadline)
        {
            try
            {
                await slow.SendAsync("a");
            }
            catch (IOException)
            {
                closed = true;
                break;
            }

            closed = await slow.ClosedAsync(Step);
            served |= await ServedAsync();
        }

        // The body streams to the tool (the sidecar does not buffer it), so the tool saw the request start and then
        // its body abort; what the test asserts is that the slow agent is dropped and the others are not.
        Assert.True(closed, "a client trickling its body was not dropped");
        Assert.True(served || await ServedAsync(), "another agent was not served meanwhile");
    }

    private async Task<bool> ServedAsync()
    {
        using var client = Sidecar.Agent();
        using var response = await client.GetAsync(new Uri($"/tools/other/{HostileFixture.Marker()}", UriKind.Relative));
        return response.StatusCode == HttpStatusCode.OK;
    }

    public sealed class Bed : IAsyncLifetime
    {
        internal SidecarTestBed Value { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Value = await HostileFixture.StartBedAsync(new()
            {
                ["Sidecar:Limits:RequestHeadersTimeout"] = "00:00:01",
                ["Sidecar:Limits:KeepAliveTimeout"] = "00:00:01",
                ["Sidecar:Limits:MinRequestBodyDataRate"] = "1000",
                ["Sidecar:Limits:MinRequestBodyDataRateGracePeriod"] = "00:00:01.500",
            });

        public async Task DisposeAsync() => await Value.DisposeAsync();
    }
}
