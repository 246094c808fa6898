using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>Real gRPC on Kestrel, listening on a Unix socket in a temporary folder, like an agent's socket.</summary>
internal sealed class WorkloadApiTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsFolder;
    private bool _stopped;

    private WorkloadApiTestServer(WebApplication app, string? socketPath, FakeWorkloadApi api, bool ownsFolder, string address)
    {
        _app = app;
        Address = address;
        _ownsFolder = ownsFolder;
        SocketPath = socketPath;
        Api = api;
    }

    /// <summary>The Unix socket path, or null for a TCP server.</summary>
    public string? SocketPath { get; }

    public FakeWorkloadApi Api { get; }

    /// <summary>The address as SPIFFE_ENDPOINT_SOCKET would carry it.</summary>
    public string Address { get; }

    public static string NewSocketPath()
    {
        // Short on purpose: a Unix socket path must fit in sun_path (108 bytes on Linux).
        var folder = Path.Combine(Path.GetTempPath(), "spwl-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, "agent.sock");
    }

    /// <summary>Starts on a new socket path, or on <paramref name="socketPath"/> (a restart; the caller owns its folder).</summary>
    public static async Task<WorkloadApiTestServer> StartAsync(FakeWorkloadApi api, string? socketPath = null)
    {
        var ownsFolder = socketPath is null;
        socketPath ??= NewSocketPath();
        var app = await StartAppAsync(api, kestrel =>
            kestrel.ListenUnixSocket(socketPath, listen => listen.Protocols = HttpProtocols.Http2));
        return new WorkloadApiTestServer(app, socketPath, api, ownsFolder, "unix://" + socketPath);
    }

    /// <summary>The <c>tcp://IP:port</c> form of the endpoint: 127.0.0.1, a port the OS picks.</summary>
    public static async Task<WorkloadApiTestServer> StartTcpAsync(FakeWorkloadApi api)
    {
        var app = await StartAppAsync(api, kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var bound = new Uri(app.Urls.Single());
        return new WorkloadApiTestServer(app, socketPath: null, api, ownsFolder: false, $"tcp://127.0.0.1:{bound.Port}");
    }

    private static async Task<WebApplication> StartAppAsync(FakeWorkloadApi api, Action<KestrelServerOptions> listen)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(listen);
        builder.Services.AddGrpc();

        // Stopping aborts open streams at once, as when an agent process dies; a graceful drain would wait for
        // streams that by design never end on their own.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.Zero);
        builder.Services.AddSingleton(api);
        var app = builder.Build();
        app.MapGrpcService<FakeWorkloadApi>();
        await app.StartAsync();
        return app;
    }

    /// <summary>Stops the server and removes its socket file, leaving the folder for a restart on the same path.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (SocketPath is not null && File.Exists(SocketPath))
        {
            File.Delete(SocketPath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        var folder = SocketPath is null ? null : Path.GetDirectoryName(SocketPath);
        if (_ownsFolder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
