using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using SidecarProxy.Identity;
using SidecarProxy.Observability;

namespace SidecarProxy.FunctionalTests.Observability;

/// <summary>The /metrics endpoint itself: where it is served, what exists before any request, identity gauges.</summary>
public sealed partial class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_ServedOnOperationsListener_InPrometheusTextFormat()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var http = new HttpClient { BaseAddress = fixture.Proxy.OperationsUrl };

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE sidecar_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE sidecar_request_duration_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_AndAlertRules_QueryOnlyMetricsTheSidecarExports()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var http = new HttpClient { BaseAddress = fixture.Proxy.OperationsUrl };
        var exported = TypeLine().Matches(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)))
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);
        var deploy = Path.Combine(RepositoryPaths.Root, "deploy");
        var queries = File.ReadAllText(Path.Combine(deploy, "grafana", "dashboards", "sidecar.json"))
            + File.ReadAllText(Path.Combine(deploy, "prometheus", "alerts.yml"));

        // A histogram is queried by its _bucket, _count and _sum series; the family is what /metrics declares.
        var unknown = SidecarMetricName().Matches(queries)
            .Select(m => m.Value)
            .Where(name => !exported.Contains(name) && !exported.Contains(HistogramSuffix().Replace(name, string.Empty)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);

        Assert.Empty(unknown);
    }

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"\bsidecar_[a-z0-9_]+")]
    private static partial Regex SidecarMetricName();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();

    [Fact]
    public async Task Metrics_NotServedOnAgentPort()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        using var client = fixture.Agent();

        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        var (status, code, _) = await Problem.ReadAsync(response);
        Assert.Equal(404, status);
        Assert.Equal("unknown_tool", code);
        Assert.Empty(fixture.Upstream.Requests);
    }

    [Fact]
    public async Task BeforeAnyRequest_AlertedSeriesExistAtZero()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();

        var scrape = await fixture.ScrapeAsync();

        foreach (var code in DenialCode.All)
        {
            Assert.Equal(0, scrape[$"sidecar_denials_total{{reason=\"{code.Value}\"}}"]);
            Assert.Equal(code.Value.StartsWith("svid_", StringComparison.Ordinal), scrape.Has($"sidecar_svid_rejections_total{{reason=\"{code.Value}\"}}"));
        }

        Assert.Equal(0, scrape["sidecar_requests_total{tool=\"echo\",decision=\"allow\",status=\"200\"}"]);
        Assert.Equal(0, scrape["sidecar_request_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Equal(0, scrape["sidecar_upstream_duration_seconds_count{tool=\"echo\"}"]);
        Assert.Equal(0, scrape["sidecar_identity_reload_failures_total{source=\"files\"}"]);
        Assert.Equal(0, scrape["sidecar_policy_reload_failures_total"]);
        Assert.Equal(0, scrape["sidecar_audit_records_dropped_total"]);
        Assert.Equal(0, scrape["sidecar_audit_records_failed_total"]);
        Assert.Equal(0, scrape["sidecar_audit_unavailable_total{action=\"deny\"}"]);
        Assert.Equal(0, scrape["sidecar_audit_unavailable_total{action=\"serve\"}"]);
        Assert.Equal(0, scrape["sidecar_client_aborts_total{stage=\"policy\"}"]);
        Assert.Equal(0, scrape["sidecar_policy_eval_errors_total{code=\"eval_conflict_error\"}"]);
        Assert.Single(scrape.Series, s => s.Key.StartsWith("sidecar_build_info{", StringComparison.Ordinal) && s.Value == 1);
        Assert.True(scrape["process_cpu_seconds_total"] > 0);
    }

    [Fact]
    public async Task ExpiryGauges_ComputedFromCurrentIdentityAtScrape()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        var material = fixture.Proxy.App.Services.GetRequiredService<IIdentityMaterialSource>().Current!;

        var before = DateTimeOffset.UtcNow;
        var scrape = await fixture.ScrapeAsync();
        var after = DateTimeOffset.UtcNow;

        var server = scrape["sidecar_server_certificate_expiry_seconds"];
        var serverNotAfter = new DateTimeOffset(material.ServerCertificate.NotAfter.ToUniversalTime());
        Assert.InRange(server, (serverNotAfter - after).TotalSeconds - 1, (serverNotAfter - before).TotalSeconds + 1);

        var bundle = scrape[$"sidecar_trust_bundle_expiry_seconds{{trust_domain=\"{MetricsProxyFixture.TrustDomain}\"}}"];
        var bundleNotAfter = new DateTimeOffset(fixture.Root.Certificate.NotAfter.ToUniversalTime());
        Assert.InRange(bundle, (bundleNotAfter - after).TotalSeconds - 1, (bundleNotAfter - before).TotalSeconds + 1);
    }

    [Fact]
    public async Task CorruptBundleOnReload_CountedAsIdentityReloadFailure()
    {
        await using var fixture = await MetricsProxyFixture.StartAsync();
        var status = fixture.Proxy.App.Services.GetRequiredService<IIdentityReloadStatus>();

        fixture.Identity.WriteBundleText(MetricsProxyFixture.TrustDomain, "-----BEGIN CERTIFICATE-----\nMIIBhalfwritten");

        // The file source's poll/debounce notices the broken bundle in the background.
        await Eventually.TrueAsync(() => status.ReloadFailureCount > 0);

        var scrape = await fixture.ScrapeAsync();
        Assert.True(status.ReloadFailureCount >= 1);
        Assert.Equal(status.ReloadFailureCount, scrape["sidecar_identity_reload_failures_total{source=\"files\"}"]);
    }

    [Fact]
    public void SeriesCache_StatusText_IsBounded()
    {
        Assert.Equal("200", SeriesCache.Status(200));
        Assert.Equal("599", SeriesCache.Status(599));
        Assert.Equal("other", SeriesCache.Status(600));
        Assert.Equal("other", SeriesCache.Status(0));
    }
}
