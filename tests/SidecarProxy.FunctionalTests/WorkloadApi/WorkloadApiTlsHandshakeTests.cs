using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Identity;
using SidecarProxy.Identity.WorkloadApi;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>
/// The material the source publishes works in a real TLS handshake (ephemeral key attached from PKCS#8, intermediates
/// sent), and a rotation pushed by the agent reaches the next handshake without a restart. A TLS server that reads
/// <see cref="IIdentityMaterialSource.Current"/> per handshake stands in for the sidecar's listener.
/// </summary>
public sealed class WorkloadApiTlsHandshakeTests : IAsyncLifetime
{
    private const string SidecarId = "spiffe://example.org/sidecar";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly List<IDisposable> _disposables = [];
    private WorkloadApiTestServer? _server;
    private WorkloadApiIdentitySource? _source;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_source is not null)
        {
            await _source.StopAsync(CancellationToken.None);
            _source.Dispose();
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
    public async Task RotatedSvid_IsServedOnTheNextHandshake()
    {
        var firstRoot = Track(TestCertificateAuthority.CreateRoot("example.org", "First Root"));
        var firstIntermediate = Track(firstRoot.CreateIntermediate("First Intermediate"));
        var firstSvid = Track(firstIntermediate.IssueSvid(SidecarId));
        var api = new FakeWorkloadApi();
        api.Publish(WorkloadApiMessages.Response(firstSvid, firstRoot));
        _server = await WorkloadApiTestServer.StartAsync(api);
        _source = new WorkloadApiIdentitySource(
            Options.Create(new WorkloadApiOptions
            {
                WorkloadApi = _server.Address,
                WorkloadApiInitialBackoff = TimeSpan.FromMilliseconds(20),
                WorkloadApiMaxBackoff = TimeSpan.FromMilliseconds(200),
            }),
            TimeProvider.System,
            NullLogger<WorkloadApiIdentitySource>.Instance);
        using var changes = new IdentityChangeRecorder(_source);
        await _source.StartAsync(CancellationToken.None);
        await changes.NextAsync();

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var before = await HandshakeAsync(listener, port, firstRoot.Certificate);
        Assert.Equal(firstSvid.Leaf.RawData, before.RawData);

        var secondRoot = Track(TestCertificateAuthority.CreateRoot("example.org", "Second Root"));
        var secondSvid = Track(secondRoot.IssueSvid(SidecarId));
        api.Publish(WorkloadApiMessages.Response(secondSvid, secondRoot));
        await changes.NextAsync();

        var after = await HandshakeAsync(listener, port, secondRoot.Certificate);
        Assert.Equal(secondSvid.Leaf.RawData, after.RawData);
    }

    /// <summary>One handshake: the server takes whatever the source holds now; the client verifies against a root.</summary>
    private async Task<X509Certificate2> HandshakeAsync(TcpListener listener, int port, X509Certificate2 trustedRoot)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var serverSide = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync(deadline.Token);
            await using var tls = new SslStream(accepted.GetStream());
            var material = _source!.Current!;
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = SslStreamCertificateContext.Create(
                        material.ServerCertificate, material.ServerChain, offline: true),
                },
                deadline.Token);
            await tls.WriteAsync(new byte[] { 1 }, deadline.Token);
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
        await using var clientTls = new SslStream(client.GetStream());
        X509Certificate2? presented = null;
        var chainValid = false;
        await clientTls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "sidecar",
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    // SPIFFE authenticates by the URI SAN and the trust domain's bundle, not by host name: check the
                    // chain against the bundle's root only, with the intermediates the server sent.
                    presented = new X509Certificate2(certificate!);
                    using var verify = new X509Chain();
                    verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    verify.ChainPolicy.CustomTrustStore.Add(trustedRoot);
                    verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    foreach (var element in chain!.ChainElements.Skip(1))
                    {
                        verify.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }

                    chainValid = verify.Build(presented);
                    return chainValid;
                },
            },
            deadline.Token);
        var buffer = new byte[1];
        await clientTls.ReadExactlyAsync(buffer, deadline.Token);
        await serverSide;

        Assert.True(chainValid);
        return presented!;
    }

    private T Track<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }
}
