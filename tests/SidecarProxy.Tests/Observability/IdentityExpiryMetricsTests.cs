using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Identity;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Observability;

public sealed class IdentityExpiryMetricsTests
{
    [Fact]
    public async Task Gauges_FollowTheTimeAndTheBundlesOfTheCurrentSnapshot()
    {
        using var a = TestCa.CreateRoot("a.test");
        using var b = TestCa.CreateRoot("b.test");
        using var server = a.IssueSvid("spiffe://a.test/sidecar");
        var source = new FixedSource(new IdentityMaterial(
            server, [], new Dictionary<string, X509Certificate2Collection> { ["a.test"] = [a.Certificate], ["b.test"] = [b.Certificate, a.Certificate] }));
        var now = new DateTimeOffset(server.NotAfter.ToUniversalTime()).AddHours(-2);
        var time = new ManualTimeProvider(now);
        var metrics = new SidecarMetrics();
        new IdentityExpiryMetrics(metrics, source, time).Register();

        var scrape = await ScrapeAsync(metrics);
        Assert.Equal(7200, scrape["sidecar_server_certificate_expiry_seconds"], 3);
        var firstOfB = new DateTimeOffset(new[] { a.Certificate.NotAfter, b.Certificate.NotAfter }.Min().ToUniversalTime());
        Assert.Equal((firstOfB - now).TotalSeconds, scrape["sidecar_trust_bundle_expiry_seconds{trust_domain=\"b.test\"}"], 3);

        // Expired: negative, and a trust domain that left the snapshot leaves the metric.
        time.Now = now.AddHours(3);
        source.Current = source.Current! with { Bundles = new Dictionary<string, X509Certificate2Collection> { ["a.test"] = [a.Certificate] } };
        scrape = await ScrapeAsync(metrics);
        Assert.Equal(-3600, scrape["sidecar_server_certificate_expiry_seconds"], 3);
        Assert.False(scrape.Has("sidecar_trust_bundle_expiry_seconds{trust_domain=\"b.test\"}"));
        Assert.True(scrape.Has("sidecar_trust_bundle_expiry_seconds{trust_domain=\"a.test\"}"));
    }

    private static async Task<MetricsScrape> ScrapeAsync(SidecarMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return MetricsScrape.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private sealed class FixedSource(IdentityMaterial material) : IIdentityMaterialSource
    {
        public IdentityMaterial? Current { get; set; } = material;

        public event Action<IdentityMaterial>? Changed
        {
            add { }
            remove { }
        }
    }
}
