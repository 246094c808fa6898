using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.Tests.WorkloadApi;

/// <summary>Real gRPC on Kestrel, listening on a Unix socket in a temporary folder, like an agent's socket.</summary>
internal sealed class WorkloadApiTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsFolder;
    private bool _stopped;

    private WorkloadApiTestServer(WebApplication app, string socketPath, FakeWorkloadApi api, bool ownsFolder)
    {
        _app = app;
        _ownsFolder = ownsFolder;
        SocketPath = socketPath;
        Api = api;
    }

    public string SocketPath { get; }

    public FakeWorkloadApi Api { get; }

    /// <summary>The address as SPIFFE_ENDPOINT_SOCKET would carry it.</summary>
    public string Address => "unix://" + SocketPath;

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.ListenUnixSocket(socketPath, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();

        // Stopping aborts open streams at once, as when an agent process dies; a graceful drain would wait for
        // streams that by design never end on their own.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.Zero);
        builder.Services.AddSingleton(api);
        var app = builder.Build();
        app.MapGrpcService<FakeWorkloadApi>();
        await app.StartAsync();
        return new WorkloadApiTestServer(app, socketPath, api, ownsFolder);
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
        if (File.Exists(SocketPath))
        {
            File.Delete(SocketPath);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        var folder = Path.GetDirectoryName(SocketPath)!;
        if (_ownsFolder && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
