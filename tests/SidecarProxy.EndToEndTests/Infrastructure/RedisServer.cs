using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SidecarProxy.EndToEndTests.Infrastructure;

/// <summary>
/// Debian's real <c>redis-server</c> on 127.0.0.1 and a free port, without persistence (<c>--save '' --appendonly
/// no</c>: a restart comes back empty, like a lost Redis); it can be stopped and started again on the same port.
/// Killed on dispose.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(int port)
    {
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Where the binary is: REDIS_SERVER_BIN, else /usr/bin/redis-server (Debian's package).</summary>
    public static string BinaryPath => Environment.GetEnvironmentVariable("REDIS_SERVER_BIN") ?? "/usr/bin/redis-server";

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException($"redis-server not found at {BinaryPath}: install Debian's 'redis-server' package (the end-to-end suite needs it; .ci/run installs it).");
        }

        var server = new RedisServer(FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port; waits (bounded) until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        var start = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Bounded: 80 tries of 100 ms.
        for (var i = 0; i < 80; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("redis-server exited at start-up:\n" + Output);
            }

            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("redis-server did not answer PING in 8 s:\n" + Output);
    }

    /// <summary>Kills the server (its data is gone: no persistence).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        _process?.Dispose();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
