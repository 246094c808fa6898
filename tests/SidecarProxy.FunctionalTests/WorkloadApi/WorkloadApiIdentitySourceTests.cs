using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Identity;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Identity.WorkloadApi.Protocol;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>
/// The Workload API source against an in-process agent: real gRPC over HTTP/2 on a Unix socket. Every wait is
/// bounded; nothing asserts how long anything took.
/// </summary>
public sealed class WorkloadApiIdentitySourceTests : IAsyncLifetime
{
    private const string SidecarId = "spiffe://example.org/ns/agents/sa/sidecar";

    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.CreateRoot("example.org");
    private readonly List<IDisposable> _disposables = [];
    private readonly List<IAsyncDisposable> _asyncDisposables = [];
    private readonly List<WorkloadApiIdentitySource> _sources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.StopAsync(CancellationToken.None);
            source.Dispose();
        }

        for (var i = _asyncDisposables.Count - 1; i >= 0; i--)
        {
            await _asyncDisposables[i].DisposeAsync();
        }

        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _ca.Dispose();
    }

    [Fact]
    public async Task InitialFetch_PublishesSvidKeyAndBundle()
    {
        var svid = Svid();
        var server = await StartServerAsync(WorkloadApiMessages.Response(svid, _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);

        await source.StartAsync(CancellationToken.None);

        var published = await changes.NextAsync();
        Assert.Same(published, source.Current);
        Assert.Equal(svid.Leaf.RawData, published.ServerCertificate.RawData);
        Assert.True(published.ServerCertificate.HasPrivateKey);
        Assert.Equal(_ca.Certificate.RawData, Assert.Single(published.Bundles["example.org"]).RawData);
        Assert.Equal(SidecarId, source.Snapshot!.SpiffeId);
        Assert.True(source.IsReady);
        Assert.Equal(WorkloadApiReadiness.Ready, source.ReadinessReason);
        Assert.Equal(1, server.Api.Streams);
    }

    [Fact]
    public async Task TcpEndpoint_FetchesLikeUnixSocket()
    {
        var svid = Svid();
        var api = new FakeWorkloadApi();
        api.Publish(WorkloadApiMessages.Response(svid, _ca));
        var server = await WorkloadApiTestServer.StartTcpAsync(api);
        _asyncDisposables.Add(server);
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);

        await source.StartAsync(CancellationToken.None);

        Assert.StartsWith("tcp://127.0.0.1:", server.Address, StringComparison.Ordinal);
        Assert.Equal(svid.Leaf.RawData, (await changes.NextAsync()).ServerCertificate.RawData);
    }

    [Fact]
    public async Task RotationPushedByAgent_ReplacesCertificateWithoutRestart()
    {
        var server = await StartServerAsync(WorkloadApiMessages.Response(Svid(), _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var first = await changes.NextAsync();

        var rotated = Svid();
        server.Api.Publish(WorkloadApiMessages.Response(rotated, _ca));
        var second = await changes.NextAsync();

        Assert.NotEqual(first.ServerCertificate.SerialNumber, second.ServerCertificate.SerialNumber);
        Assert.Equal(rotated.Leaf.RawData, second.ServerCertificate.RawData);
        Assert.Same(second, source.Current);
        Assert.Equal(1, server.Api.Streams);
    }

    [Fact]
    public async Task ConcurrentReaderDuringRotations_NeverSeesNullOrMixedSnapshot()
    {
        const int Rotations = 20;
        var (firstCa, firstSvid) = CaAndSvid(0);
        var server = await StartServerAsync(WorkloadApiMessages.Response(firstSvid, firstCa));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        await changes.NextAsync();

        var violations = 0;
        var reads = 0;
        using var stopReading = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var reader = Task.Run(() =>
        {
            // Bounded by count and by time, whichever ends first.
            while (!stopReading.IsCancellationRequested && reads < 5_000_000)
            {
                var material = source.Current;
                reads++;

                // Each rotation has its own CA: a snapshot is whole when its leaf was issued by its own bundle's CA.
                if (material is null
                    || !material.Bundles.TryGetValue("example.org", out var bundle)
                    || bundle[0].Subject != material.ServerCertificate.Issuer)
                {
                    Interlocked.Increment(ref violations);
                }
            }
        });

        for (var i = 1; i <= Rotations; i++)
        {
            var (ca, svid) = CaAndSvid(i);
            server.Api.Publish(WorkloadApiMessages.Response(svid, ca));
            var published = await changes.NextAsync();
            Assert.Equal(svid.Leaf.RawData, published.ServerCertificate.RawData);
        }

        await stopReading.CancelAsync();
        await reader;
        Assert.Equal(0, violations);
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task BundleUpdate_AddsAndThenWithdrawsFederatedTrustDomain()
    {
        using var partner = TestCertificateAuthority.CreateRoot("partner.example", "Partner CA");
        var svid = Svid();
        var server = await StartServerAsync(WorkloadApiMessages.Response(svid, _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var before = await changes.NextAsync();
        Assert.Equal(["example.org"], before.Bundles.Keys);

        server.Api.Publish(WorkloadApiMessages.Response(svid, _ca, new Dictionary<string, TestCertificateAuthority>
        {
            ["spiffe://partner.example"] = partner,
        }));
        var federated = await changes.NextAsync();

        Assert.Equal(["example.org", "partner.example"], federated.Bundles.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(partner.Certificate.RawData, Assert.Single(federated.Bundles["partner.example"]).RawData);
        Assert.Equal(svid.Leaf.RawData, federated.ServerCertificate.RawData);

        // Each message is the whole state: a trust domain left out has been withdrawn (Workload API spec 4.4).
        server.Api.Publish(WorkloadApiMessages.Response(svid, _ca));
        var withdrawn = await changes.NextAsync();
        Assert.Equal(["example.org"], withdrawn.Bundles.Keys);
    }

    [Fact]
    public async Task StreamEndedByAgent_ReconnectsKeepsLastSvidAndGetsNextUpdate()
    {
        var first = Svid();
        var server = await StartServerAsync(WorkloadApiMessages.Response(first, _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.NextAsync();

        server.Api.EndStreams();
        Assert.Same(initial, source.Current);
        Assert.True(source.IsReady);

        await WaitUntilAsync(() => server.Api.Streams >= 2);
        var next = Svid();
        server.Api.Publish(WorkloadApiMessages.Response(next, _ca));
        var updated = await changes.NextAsync();

        Assert.Equal(next.Leaf.RawData, updated.ServerCertificate.RawData);
        Assert.Same(updated, source.Current);
    }

    [Fact]
    public async Task ReconnectWithUnchangedState_DoesNotRepublish()
    {
        var server = await StartServerAsync(WorkloadApiMessages.Response(Svid(), _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.NextAsync();

        server.Api.EndStreams();

        // Second write = the same state sent again on the new stream, ahead of anything published after it.
        await WaitUntilAsync(() => server.Api.Writes >= 2);
        var next = Svid();
        server.Api.Publish(WorkloadApiMessages.Response(next, _ca));

        // Had the repeated state been republished, it would be the next change.
        var published = await changes.NextAsync();
        Assert.Equal(next.Leaf.RawData, published.ServerCertificate.RawData);
        Assert.NotSame(initial, published);
    }

    [Fact]
    public async Task AgentRestartedOnSameSocket_KeepsLastSvidMeanwhileThenTakesNewOne()
    {
        var first = Svid();
        var server = await StartServerAsync(WorkloadApiMessages.Response(first, _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var initial = await changes.NextAsync();

        await server.StopAsync();
        Assert.Same(initial, source.Current);
        Assert.True(source.IsReady);

        var restartedApi = new FakeWorkloadApi();
        var next = Svid();
        restartedApi.Publish(WorkloadApiMessages.Response(next, _ca));
        var restarted = await WorkloadApiTestServer.StartAsync(restartedApi, server.SocketPath!);
        _asyncDisposables.Add(restarted);

        var updated = await changes.NextAsync();
        Assert.Equal(next.Leaf.RawData, updated.ServerCertificate.RawData);
        Assert.Equal(1, restartedApi.Streams);
    }

    [Fact]
    public async Task AgentNotUpYet_RetriesUntilItAnswers()
    {
        var socketPath = WorkloadApiTestServer.NewSocketPath();
        _disposables.Add(new FolderCleanup(Path.GetDirectoryName(socketPath)!));
        var source = CreateSource("unix://" + socketPath, startupWait: TimeSpan.Zero);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        Assert.False(source.IsReady);
        Assert.Equal(WorkloadApiReadiness.NoSvid, source.ReadinessReason);

        var api = new FakeWorkloadApi();
        var svid = Svid();
        api.Publish(WorkloadApiMessages.Response(svid, _ca));
        _asyncDisposables.Add(await WorkloadApiTestServer.StartAsync(api, socketPath));

        var published = await changes.NextAsync();
        Assert.Equal(svid.Leaf.RawData, published.ServerCertificate.RawData);
        Assert.True(source.IsReady);
    }

    [Fact]
    public async Task PermissionDenied_KeepsRetryingWithBackoffThenServesOnceEntitled()
    {
        var api = new FakeWorkloadApi { DenyWith = StatusCode.PermissionDenied };
        var server = await StartServerAsync(api);
        var source = CreateSource(server.Address, startupWait: TimeSpan.Zero);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);

        await WaitUntilAsync(() => api.Rejected >= 3);
        Assert.Null(source.Current);
        Assert.Equal(WorkloadApiReadiness.NoSvid, source.ReadinessReason);

        var svid = Svid();
        api.Publish(WorkloadApiMessages.Response(svid, _ca));
        api.DenyWith = null;

        var published = await changes.NextAsync();
        Assert.Equal(svid.Leaf.RawData, published.ServerCertificate.RawData);
    }

    [Fact]
    public async Task CallWithoutSecurityHeader_IsRejectedLikeSpire()
    {
        var server = await StartServerAsync(WorkloadApiMessages.Response(Svid(), _ca));
        Assert.True(WorkloadApiAddress.TryParse(server.Address, out var address, out _));
        using var channel = WorkloadApiChannel.Create(address!);
        var client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(channel);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        using var call = client.FetchX509SVID(new X509SVIDRequest(), cancellationToken: deadline.Token);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(deadline.Token));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(FakeWorkloadApi.MissingHeaderDetail, error.Status.Detail);
        Assert.Equal(0, server.Api.Streams);
        Assert.Equal(1, server.Api.Rejected);
    }

    [Fact]
    public async Task SvidPastItsExpiry_MakesSourceNotReady()
    {
        var now = DateTimeOffset.UtcNow;
        var svid = _ca.IssueSvid(SidecarId, now.AddMinutes(-5), now.AddMinutes(30));
        _disposables.Add(svid);
        var server = await StartServerAsync(WorkloadApiMessages.Response(svid, _ca));
        var time = new ManualTimeProvider(now);
        var source = CreateSource(server.Address, time: time);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        await changes.NextAsync();
        Assert.True(source.IsReady);

        time.Set(now.AddMinutes(31));

        Assert.False(source.IsReady);
        Assert.Equal(WorkloadApiReadiness.SvidExpired, source.ReadinessReason);
        Assert.NotNull(source.Current);

        time.Set(now.AddMinutes(-10));
        Assert.Equal(WorkloadApiReadiness.SvidNotYetValid, source.ReadinessReason);
    }

    [Fact]
    public async Task BadOrExpiredUpdate_KeepsLastGoodSnapshot()
    {
        var now = DateTimeOffset.UtcNow;
        var server = await StartServerAsync(WorkloadApiMessages.Response(Svid(), _ca));
        var source = CreateSource(server.Address);
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        var good = await changes.NextAsync();

        var expired = _ca.IssueSvid(SidecarId, now.AddHours(-2), now.AddHours(-1));
        _disposables.Add(expired);
        server.Api.Publish(WorkloadApiMessages.Response(expired, _ca));
        var mismatched = WorkloadApiMessages.Response(Svid(), _ca);
        mismatched.Svids[0].X509SvidKey = Google.Protobuf.ByteString.CopyFrom(Svid().KeyPkcs8());
        server.Api.Publish(mismatched);
        var next = Svid();
        server.Api.Publish(WorkloadApiMessages.Response(next, _ca));

        // The stream is ordered: had either bad message been applied, it would have been published first.
        var published = await changes.NextAsync();
        Assert.Equal(next.Leaf.RawData, published.ServerCertificate.RawData);
        Assert.NotSame(good, published);
    }

    [Fact]
    public async Task FailingChangeHandler_DoesNotStopOtherConsumers()
    {
        var server = await StartServerAsync(WorkloadApiMessages.Response(Svid(), _ca));
        var source = CreateSource(server.Address);
        source.Changed += _ => throw new InvalidOperationException("consumer bug");
        using var changes = new IdentityChangeRecorder(source);
        await source.StartAsync(CancellationToken.None);
        await changes.NextAsync();

        var next = Svid();
        server.Api.Publish(WorkloadApiMessages.Response(next, _ca));

        Assert.Equal(next.Leaf.RawData, (await changes.NextAsync()).ServerCertificate.RawData);
    }

    [Fact]
    public async Task AddWorkloadApiIdentity_RegistersOneSourceAsIdentitySourceAndHostedService()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Sidecar:Identity:WorkloadApi"] = "unix:///run/spire/agent.sock" })
            .Build();

        services.AddWorkloadApiIdentity(configuration);
        await using var provider = services.BuildServiceProvider();

        var source = provider.GetRequiredService<WorkloadApiIdentitySource>();
        Assert.Same(source, provider.GetRequiredService<IIdentityMaterialSource>());
        Assert.Contains(source, provider.GetServices<IHostedService>());
        Assert.Equal("unix:///run/spire/agent.sock", provider.GetRequiredService<IOptions<WorkloadApiOptions>>().Value.WorkloadApi);
        Assert.True(WorkloadApiServiceCollectionExtensions.IsWorkloadApiConfigured(configuration));
    }

    [Fact]
    public async Task AddWorkloadApiIdentity_WithBadSettings_ListsEveryError()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sidecar:Identity:WorkloadApi"] = "tcp://agent:8081",
                ["Sidecar:Identity:WorkloadApiInitialBackoff"] = "00:00:10",
                ["Sidecar:Identity:WorkloadApiMaxBackoff"] = "00:00:01",
            })
            .Build();

        services.AddWorkloadApiIdentity(configuration);
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WorkloadApiOptions>>().Value);
        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("host must be an IP address", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("WorkloadApiMaxBackoff", StringComparison.Ordinal));
    }

    private TestSvid Svid()
    {
        var svid = _ca.IssueSvid(SidecarId);
        _disposables.Add(svid);
        return svid;
    }

    private (TestCertificateAuthority Ca, TestSvid Svid) CaAndSvid(int rotation)
    {
        var ca = TestCertificateAuthority.CreateRoot("example.org", $"Rotation {rotation} CA");
        var svid = ca.IssueSvid(SidecarId);
        _disposables.Add(svid);
        _disposables.Add(ca);
        return (ca, svid);
    }

    private async Task<WorkloadApiTestServer> StartServerAsync(X509SVIDResponse initial)
    {
        var api = new FakeWorkloadApi();
        api.Publish(initial);
        return await StartServerAsync(api);
    }

    private async Task<WorkloadApiTestServer> StartServerAsync(FakeWorkloadApi api)
    {
        var server = await WorkloadApiTestServer.StartAsync(api);
        _asyncDisposables.Add(server);
        return server;
    }

    private WorkloadApiIdentitySource CreateSource(string address, TimeSpan? startupWait = null, TimeProvider? time = null)
    {
        var options = new WorkloadApiOptions
        {
            WorkloadApi = address,
            WorkloadApiInitialBackoff = TimeSpan.FromMilliseconds(20),
            WorkloadApiMaxBackoff = TimeSpan.FromMilliseconds(200),
            WorkloadApiStartupWait = startupWait ?? TimeSpan.FromSeconds(15),
        };
        var source = new WorkloadApiIdentitySource(
            Options.Create(options),
            time ?? TimeProvider.System,
            NullLogger<WorkloadApiIdentitySource>.Instance);
        _sources.Add(source);
        return source;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        await Eventually.TrueAsync(condition, TimeSpan.FromSeconds(15));

        Assert.True(condition(), "condition not reached within the bounded wait");
    }

    private sealed class FolderCleanup(string folder) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
