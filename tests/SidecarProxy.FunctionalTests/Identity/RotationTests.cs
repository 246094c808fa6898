using System.Net;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>Trust bundle and serving certificate rotation under a running proxy, without restart.</summary>
public sealed class RotationTests : IAsyncLifetime
{
    private const string TrustDomain = "agents.test";
    private const string Agent = "spiffe://agents.test/agent/a";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly TestCa _ca1 = TestCa.CreateRoot(TrustDomain, "ca one");
    private readonly TestCa _ca2 = TestCa.CreateRoot(TrustDomain, "ca two");
    private readonly IdentityDirectory _identity = new();
    private RecordingUpstream _upstream = null!;
    private TestProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _identity.WriteBundle(TrustDomain, _ca1);
        _upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in _identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "echo", _upstream.Url);
        var pdp = TestPolicyDecisionPoint.AllowAll();
        _proxy = await TestProxy.StartAsync(_identity, settings, s => s.AddSingletonPdp(pdp));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        _identity.Dispose();
        _ca1.Dispose();
        _ca2.Dispose();
    }

    [Fact]
    public async Task BundleReplaced_NewCaAcceptedRemovedCaRefusedOpenConnectionKept()
    {
        using var svid1 = _ca1.IssueSvid(Agent);
        using var svid2 = _ca2.IssueSvid(Agent);
        using var openClient = _proxy.CreateClient(svid1);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(openClient));
        Assert.Equal(HttpStatusCode.Unauthorized, await NewConnectionStatusAsync(svid2));

        _identity.WriteBundle(TrustDomain, _ca2);

        Assert.True(await Eventually.TrueAsync(async () => await NewConnectionStatusAsync(svid2) == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.Unauthorized, await NewConnectionStatusAsync(svid1));

        // Validated at its handshake: an open connection keeps its identity until it closes.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(openClient));
    }

    [Fact]
    public async Task CorruptBundle_KeepsLastGoodBundleAndCountsFailure()
    {
        using var svid1 = _ca1.IssueSvid(Agent);
        var status = _proxy.App.Services.GetRequiredService<IIdentityReloadStatus>();
        var failuresBefore = status.ReloadFailureCount;

        _identity.WriteBundleText(TrustDomain, "-----BEGIN CERTIFICATE-----\nMIIBhalfwritten");

        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(status.ReloadFailureCount > failuresBefore)));
        Assert.Equal(HttpStatusCode.OK, await NewConnectionStatusAsync(svid1));

        _identity.WriteBundle(TrustDomain, _ca2);
        using var svid2 = _ca2.IssueSvid(Agent);
        Assert.True(await Eventually.TrueAsync(async () => await NewConnectionStatusAsync(svid2) == HttpStatusCode.OK));
    }

    [Fact]
    public async Task ServerCertificateReplaced_NewHandshakesGetTheNewCertificate()
    {
        using var svid1 = _ca1.IssueSvid(Agent);
        using var newServerCa = TestCa.CreateRoot("sidecar.test", "second serving CA");
        using var newServer = newServerCa.Issue(new LeafSpec { Uris = ["spiffe://sidecar.test/sidecar"], DnsNames = ["localhost"] });

        _identity.WriteServerCertificate(newServer);

        Assert.True(await Eventually.TrueAsync(async () =>
        {
            using var client = _proxy.CreateClient(svid1, null, newServerCa.Certificate, out var seen);
            try
            {
                using var response = await client.GetAsync(new Uri("/tools/echo/x", UriKind.Relative));
                return seen()?.Thumbprint == newServer.Thumbprint && response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                // Still the old certificate: the client refuses it.
                return false;
            }
        }));
    }

    private async Task<HttpStatusCode> NewConnectionStatusAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 svid)
    {
        using var client = _proxy.CreateClient(svid);
        return await StatusAsync(client);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/tools/echo/x", UriKind.Relative));
        return response.StatusCode;
    }
}
