using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SidecarProxy.FunctionalTests.Faults;

/// <summary>How a <see cref="FaultyUpstream"/> misbehaves once it has read a request.</summary>
internal enum UpstreamFault
{
    /// <summary>Sends the status line, headers and part of the promised body, then resets the connection (RST).</summary>
    ResetMidResponse,

    /// <summary>Reads the request and never answers.</summary>
    Silent,

    /// <summary>Answers with a response header far larger than any client accepts (200 KiB).</summary>
    OversizedHeaders,
}

/// <summary>
/// A tool that fails on the wire, on a raw socket on 127.0.0.1:0 (a Kestrel upstream cannot send a half response and
/// a reset on purpose). Counts the requests it has read, so a test can tell the request did reach it.
/// </summary>
internal sealed class FaultyUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly UpstreamFault _fault;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private readonly Task _accepting;
    private int _requests;

    public FaultyUpstream(UpstreamFault fault)
    {
        _fault = fault;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Requests whose head the upstream has read.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            if (!await ReadHeadAsync(stream))
            {
                client.Dispose();
                return;
            }

            Interlocked.Increment(ref _requests);
            switch (_fault)
            {
                case UpstreamFault.ResetMidResponse:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n" + new string('a', 1000)), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    break;
                case UpstreamFault.OversizedHeaders:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(
                        "HTTP/1.1 200 OK\r\nX-Huge: " + new string('h', 200 * 1024) + "\r\nContent-Length: 2\r\n\r\nok"), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    lock (_held)
                    {
                        _held.Add(client);
                    }

                    break;
                default:
                    lock (_held)
                    {
                        _held.Add(client);
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            client.Dispose();
        }
    }

    // The head only: the tests send no body.
    private async Task<bool> ReadHeadAsync(NetworkStream stream)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (seen.Length < 64 * 1024)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return false;
            }

            seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
            if (seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_held)
        {
            foreach (var client in _held)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }
}
