using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using SidecarProxy.Hosting;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>
/// The whole sidecar with its identity from a Workload API (a gRPC server on a Unix socket standing in for a SPIRE
/// agent), agents sending real requests over mTLS, and a CA rotation pushed in the middle: the new SVID and bundle
/// apply to the next handshakes without a restart, a certificate from the retired CA is refused, and connections
/// opened before the rotation keep the identity they were authenticated with.
/// </summary>
public sealed class WorkloadApiProxyRotationTests : IAsyncLifetime
{
    private const string TrustDomain = "example.org";
    private const string SidecarId = "spiffe://example.org/sidecar";
    private const string AgentId = "spiffe://example.org/agent/researcher";
    private static readonly Uri EchoPath = new("/tools/echo/items", UriKind.Relative);

    private readonly List<IDisposable> _disposables = [];
    private readonly FakeWorkloadApi _api = new();
    private WorkloadApiTestServer? _server;
    private RecordingUpstream? _upstream;
    private WebApplication? _app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    [Fact]
    public async Task CaRotationFromTheWorkloadApi_AppliesToNewConnections_WithoutRestart()
    {
        var firstRoot = Track(TestCertificateAuthority.CreateRoot(TrustDomain, "First Root"));
        var firstSidecar = Track(firstRoot.IssueSvid(SidecarId));
        _api.Publish(WorkloadApiMessages.Response(firstSidecar, firstRoot));
        var agentUrl = await StartSidecarAsync();

        using var opened = Client(agentUrl, Track(firstRoot.IssueSvid(AgentId)), firstRoot.Certificate, out var firstPresented);
        Assert.Equal(HttpStatusCode.OK, (await opened.GetAsync(EchoPath)).StatusCode);
        Assert.Equal(firstSidecar.Leaf.RawData, firstPresented()!.RawData);

        // The agent rotates to a new CA: a new SVID for the sidecar and a bundle holding only the new root.
        var secondRoot = Track(TestCertificateAuthority.CreateRoot(TrustDomain, "Second Root"));
        var secondSidecar = Track(secondRoot.IssueSvid(SidecarId));
        var secondAgent = Track(secondRoot.IssueSvid(AgentId));
        _api.Publish(WorkloadApiMessages.Response(secondSidecar, secondRoot));

        // Bounded: the sidecar applies the pushed message asynchronously (within milliseconds here).
        X509Certificate2? presented = null;
        HttpStatusCode status = 0;
        for (var attempt = 0; attempt < 100 && status != HttpStatusCode.OK; attempt++)
        {
            using var fresh = Client(agentUrl, secondAgent, secondRoot.Certificate, out var seen);
            status = await StatusOrZeroAsync(fresh);
            presented = seen();
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(secondSidecar.Leaf.RawData, presented!.RawData);

        // A new connection with an SVID of the retired CA is refused with the exact code, and nothing is forwarded.
        var forwardedBefore = _upstream!.Requests.Count;
        using var stale = Client(agentUrl, Track(firstRoot.IssueSvid(AgentId)), secondRoot.Certificate, out _);
        using var refused = await stale.GetAsync(EchoPath);
        var (problemStatus, code, _) = await Problem.ReadAsync(refused);
        Assert.Equal((401, "svid_untrusted"), (problemStatus, code));
        Assert.Equal(forwardedBefore, _upstream.Requests.Count);

        // The connection authenticated before the rotation keeps its identity until it closes, as with any TLS peer.
        Assert.Equal(HttpStatusCode.OK, (await opened.GetAsync(EchoPath)).StatusCode);
    }

    private async Task<Uri> StartSidecarAsync()
    {
        _server = await WorkloadApiTestServer.StartAsync(_api);
        _upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        settings["Sidecar:Identity:WorkloadApi"] = _server.Address;
        settings["Sidecar:Identity:WorkloadApiInitialBackoff"] = "00:00:00.050";
        TestProxy.AddPathTool(settings, "echo", _upstream.Url);
        var policy = TestPolicyDecisionPoint.AllowAll();
        _app = TestProxy.Build(settings, services => services.AddSingletonPdp(policy));
        await _app.StartAsync();
        return _app.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Agent);
    }

    private static async Task<HttpStatusCode> StatusOrZeroAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync(EchoPath);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            // Still the old certificate: the client refused it.
            return 0;
        }
    }

    /// <summary>An agent on a fresh connection that trusts only <paramref name="trustedRoot"/> for the sidecar.</summary>
    private static HttpClient Client(Uri agentUrl, TestSvid svid, X509Certificate2 trustedRoot, out Func<X509Certificate2?> presented) =>
        TestProxy.CreateAgentClient(agentUrl, svid.Leaf.CopyWithPrivateKey(svid.Key), null, trustedRoot, out presented);

    private T Track<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }
}
