using System.Net;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Observability;

/// <summary>Real requests through the in-process sidecar, then a scrape of its operations listener's /metrics.</summary>
public sealed class RequestMetricsTests
{
    private static readonly Uri EchoPath = new("/tools/echo/items?x=1", UriKind.Relative);

    [Fact]
    public async Task AllowedRequests_CountedByToolDecisionStatus_AndTimed()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var client = fixture.Agent();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(EchoPath);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(3, scrape["sidecar_requests_total{tool=\"echo\",decision=\"allow\",status=\"200\"}"]);
        Assert.Equal(3, scrape.Sum("sidecar_requests_total"));
        Assert.Equal(3, scrape["sidecar_request_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Equal(3, scrape["sidecar_upstream_duration_seconds_count{tool=\"echo\"}"]);
        Assert.True(scrape["sidecar_request_duration_seconds_sum{tool=\"echo\"}"] >= scrape["sidecar_upstream_duration_seconds_sum{tool=\"echo\"}"]);
        Assert.Equal(0, scrape.Sum("sidecar_denials_total"));
        Assert.Equal(0, scrape.Sum("sidecar_svid_rejections_total"));
        Assert.Equal(0, scrape["sidecar_tls_handshake_failures_total"]);
    }

    [Fact]
    public async Task PolicyDenial_CountedAsDenyWithReason_NotForwarded()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        fixture.Policy.Decide = _ => PolicyDecision.Deny("no writes");
        using var client = fixture.Agent();

        using var response = await client.PostAsync(EchoPath, new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape["sidecar_requests_total{tool=\"echo\",decision=\"deny\",status=\"403\"}"]);
        Assert.Equal(1, scrape["sidecar_denials_total{reason=\"policy_denied\"}"]);
        Assert.Equal(1, scrape.Sum("sidecar_denials_total"));
        Assert.Equal(1, scrape["sidecar_request_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Equal(0, scrape["sidecar_upstream_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Empty(fixture.Upstream.Requests);
    }

    [Fact]
    public async Task PolicyStatusFromDecision_IsTheStatusLabel()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        fixture.Policy.Decide = _ => new PolicyDecision { Allowed = false, Reason = "slow down", HttpStatus = 429 };
        using var client = fixture.Agent();

        using var response = await client.GetAsync(EchoPath);

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape["sidecar_requests_total{tool=\"echo\",decision=\"deny\",status=\"429\"}"]);
    }

    [Fact]
    public async Task PolicyEngineFault_CountedAsError()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        fixture.Policy.Decide = _ => throw new PolicyEngineException("engine down");
        using var client = fixture.Agent();

        using var response = await client.GetAsync(EchoPath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape["sidecar_requests_total{tool=\"echo\",decision=\"error\",status=\"503\"}"]);
        Assert.Equal(1, scrape["sidecar_denials_total{reason=\"policy_unavailable\"}"]);
    }

    [Fact]
    public async Task UnknownTool_CountedWithoutTool()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var client = fixture.Agent();

        using var response = await client.GetAsync(new Uri("/tools/nope/x", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape["sidecar_requests_total{tool=\"none\",decision=\"deny\",status=\"404\"}"]);
        Assert.Equal(1, scrape["sidecar_denials_total{reason=\"unknown_tool\"}"]);
        Assert.Equal(0, scrape.Sum("sidecar_svid_rejections_total"));
    }

    [Fact]
    public async Task UntrustedSvid_CountedAsSvidRejectionAndDenial()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var stranger = TestCa.CreateRoot(MetricsProxyFixture.TrustDomain, "another CA");
        using var client = fixture.Proxy.CreateClient(stranger.IssueSvid(MetricsProxyFixture.AgentId));

        using var response = await client.GetAsync(EchoPath);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape["sidecar_svid_rejections_total{reason=\"svid_untrusted\"}"]);
        Assert.Equal(1, scrape["sidecar_denials_total{reason=\"svid_untrusted\"}"]);
        Assert.Equal(1, scrape["sidecar_requests_total{tool=\"none\",decision=\"deny\",status=\"401\"}"]);
        Assert.Empty(fixture.Upstream.Requests);
    }

    [Fact]
    public async Task PlainHttpOnTheAgentPort_CountedAsHandshakeFailure_AndAnsweredWithNothing()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        var agent = fixture.Proxy.AgentUrl;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(agent.Host, agent.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /tools/echo/items HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        // The sidecar closes the connection without an HTTP answer; bounded read until it does.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        var received = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            received += read;
        }

        Assert.DoesNotContain("HTTP/1.1", System.Text.Encoding.ASCII.GetString(buffer, 0, Math.Min(received, buffer.Length)), StringComparison.Ordinal);
        var scrape = await ScrapeUntilAsync(fixture, s => s["sidecar_tls_handshake_failures_total"] >= 1);
        Assert.Equal(1, scrape["sidecar_tls_handshake_failures_total"]);
        Assert.Equal(0, scrape.Sum("sidecar_requests_total"));
        Assert.Empty(fixture.Upstream.Requests);
    }

    // The failure is counted when the server side of the connection ends, which may be just after the client gave up.
    private static async Task<MetricsScrape> ScrapeUntilAsync(SidecarTestBed fixture, Func<MetricsScrape, bool> done)
    {
        for (var attempt = 0; ; attempt++)
        {
            var scrape = await fixture.ScrapeAsync();
            if (done(scrape) || attempt == 200)
            {
                return scrape;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task SvidWithoutSpiffeId_CountedByItsOwnReason()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var client = fixture.Proxy.CreateClient(fixture.Root.Issue(new LeafSpec { DnsNames = ["agent.test"] }));

        using var response = await client.GetAsync(EchoPath);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (_, code, _) = await Problem.ReadAsync(response);
        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(1, scrape[$"sidecar_svid_rejections_total{{reason=\"{code}\"}}"]);
        Assert.Equal(1, scrape.Sum("sidecar_svid_rejections_total"));
    }

    [Fact]
    public async Task Mixed_EachRequestCountedOnce()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        fixture.Policy.Decide = r => r.Method == "GET" ? PolicyDecision.Allow() : PolicyDecision.Deny("read only");
        using var client = fixture.Agent();

        for (var i = 0; i < 5; i++)
        {
            (await client.GetAsync(EchoPath)).Dispose();
        }

        for (var i = 0; i < 2; i++)
        {
            (await client.DeleteAsync(EchoPath)).Dispose();
        }

        var scrape = await fixture.ScrapeAsync();
        Assert.Equal(5, scrape["sidecar_requests_total{tool=\"echo\",decision=\"allow\",status=\"200\"}"]);
        Assert.Equal(2, scrape["sidecar_requests_total{tool=\"echo\",decision=\"deny\",status=\"403\"}"]);
        Assert.Equal(7, scrape.Sum("sidecar_requests_total"));
        Assert.Equal(2, scrape["sidecar_denials_total{reason=\"policy_denied\"}"]);
        Assert.Equal(7, scrape["sidecar_request_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Equal(5, scrape["sidecar_upstream_duration_seconds_count{tool=\"echo\"}"]);
    }

    [Fact]
    public async Task Labels_NeverHoldSpiffeIdsOrPaths()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var client = fixture.Agent();
        (await client.GetAsync(EchoPath)).Dispose();
        (await client.GetAsync(new Uri("/tools/nope/secret-path", UriKind.Relative))).Dispose();

        var scrape = await fixture.ScrapeAsync();

        Assert.DoesNotContain("spiffe://", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("researcher", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-path", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("items", scrape.Text, StringComparison.Ordinal);
    }
}
