using System.Globalization;
using System.Net;
using SidecarProxy.EndToEndTests.Infrastructure;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.EndToEndTests.Observability;

/// <summary>
/// The sidecar (in-process, the embedded engine with the shipped policies) scraped by a real Prometheus every
/// second: what Prometheus stores is exactly what the sidecar did.
/// </summary>
public sealed class PrometheusScrapeTests
{
    private const string TrustDomain = "sidecar.dev";
    private const string DemoAgent = "spiffe://sidecar.dev/agent/demo";
    private const int Allowed = 7;
    private const int Denied = 4;
    private const int UnknownTool = 2;

    [Fact]
    public async Task RealPrometheus_SeesExactRequestAndDenialCounts()
    {
        using var root = TestCa.CreateRoot(TrustDomain);
        using var identity = new IdentityDirectory();
        identity.WriteBundle(TrustDomain, root);
        await using var upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        settings["Sidecar:Policy:Directory"] = RepositoryPaths.Policies;
        TestProxy.AddPathTool(settings, "demo", upstream.Url);
        await using var proxy = await TestProxy.StartAsync(identity, settings);
        await using var prometheus = await PrometheusServer.StartAsync(proxy.OperationsUrl.Authority);

        // The target is up and the pre-touched zero series are stored before any request is made.
        var up = await prometheus.WaitForAsync("up{job=\"sidecar\"}", r => r.Count == 1 && r[0].Value == 1, TimeSpan.FromSeconds(30));
        Assert.True(up.Count == 1 && up[0].Value == 1, "Prometheus never scraped the sidecar:\n" + prometheus.Output);
        var zero = await prometheus.QueryAsync("sidecar_denials_total{reason=\"policy_denied\"}");
        Assert.Equal(0, Assert.Single(zero).Value);

        using var client = proxy.CreateClient(root.IssueSvid(DemoAgent));
        for (var i = 0; i < Allowed; i++)
        {
            using var response = await client.GetAsync(new Uri($"/tools/demo/items/{i}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < Denied; i++)
        {
            using var response = await client.PostAsync(new Uri("/tools/demo/items", UriKind.Relative), new StringContent("{}"));
            var problem = await Problem.ReadAsync(response);
            Assert.Equal((403, "policy_denied"), (problem.Status, problem.Code));
        }

        for (var i = 0; i < UnknownTool; i++)
        {
            using var response = await client.GetAsync(new Uri("/tools/nope/x", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        const string Total = "sum(sidecar_requests_total)";
        var total = await prometheus.WaitForAsync(Total, r => r.Count == 1 && r[0].Value >= Allowed + Denied + UnknownTool, TimeSpan.FromSeconds(30));
        Assert.Equal(Allowed + Denied + UnknownTool, Assert.Single(total).Value);

        Assert.Equal(Allowed, await ValueAsync(prometheus, "sidecar_requests_total{tool=\"demo\",decision=\"allow\",status=\"200\"}"));
        Assert.Equal(Denied, await ValueAsync(prometheus, "sidecar_requests_total{tool=\"demo\",decision=\"deny\",status=\"403\"}"));
        Assert.Equal(UnknownTool, await ValueAsync(prometheus, "sidecar_requests_total{tool=\"none\",decision=\"deny\",status=\"404\"}"));
        Assert.Equal(Denied, await ValueAsync(prometheus, "sidecar_denials_total{reason=\"policy_denied\"}"));
        Assert.Equal(UnknownTool, await ValueAsync(prometheus, "sidecar_denials_total{reason=\"unknown_tool\"}"));
        Assert.Equal(Denied + UnknownTool, await ValueAsync(prometheus, "sum(sidecar_denials_total)"));
        Assert.Equal(Allowed + Denied, await ValueAsync(prometheus, "sidecar_policy_decision_duration_seconds_count{engine=\"embedded\"}"));
        Assert.Equal(Allowed, await ValueAsync(prometheus, "sidecar_upstream_duration_seconds_count{tool=\"demo\"}"));
        Assert.Equal(Allowed, upstream.Requests.Count);

        var revision = await prometheus.QueryAsync("sidecar_policy_revision_info");
        Assert.Equal("embedded", Assert.Single(revision).Labels["engine"]);
        Assert.True(await ValueAsync(prometheus, "sidecar_server_certificate_expiry_seconds") > 0);
        Assert.True(await ValueAsync(prometheus, $"sidecar_trust_bundle_expiry_seconds{{trust_domain=\"{TrustDomain}\"}}") > 0);

        // No series anywhere carries an identity.
        var identities = await prometheus.QueryAsync("{__name__=~\"sidecar_.+\"}");
        Assert.DoesNotContain(identities, s => s.Labels.Values.Any(v => v.Contains("spiffe://", StringComparison.Ordinal)));
    }

    private static async Task<double> ValueAsync(PrometheusServer prometheus, string promql)
    {
        var result = await prometheus.QueryAsync(promql);
        Assert.True(result.Count == 1, $"{promql}: expected one series, got {result.Count}: "
            + string.Join("; ", result.Select(r => string.Join(",", r.Labels.Select(l => l.Key + "=" + l.Value)) + " " + r.Value.ToString(CultureInfo.InvariantCulture))));
        return result[0].Value;
    }
}
