using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>One HTTP response as read off the wire: status, headers (last value wins) and body.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Code => Body.Contains("\"code\":\"", StringComparison.Ordinal)
        ? Body.Split("\"code\":\"")[1].Split('"')[0]
        : null;
}

/// <summary>
/// An mTLS connection to the agent listener that writes raw bytes (ALPN http/1.1 or h2), for requests HttpClient
/// refuses to send. Reads are bounded by a timeout, which is a bound, not a measurement.
/// </summary>
internal sealed class RawAgentConnection : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly TcpClient _tcp;
    private readonly byte[] _buffer = new byte[16384];
    private int _start;
    private int _end;

    private RawAgentConnection(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        Stream = tls;
    }

    public SslStream Stream { get; }

    public static async Task<RawAgentConnection> OpenAsync(
        Uri agentUrl, X509Certificate2 leaf, X509Certificate2 serverCa, string protocol = "http/1.1", string sni = "localhost")
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(agentUrl.Host, agentUrl.Port);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var cts = new CancellationTokenSource(Bound);
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = sni,
                ApplicationProtocols = [new SslApplicationProtocol(protocol)],
                ClientCertificateContext = SslStreamCertificateContext.Create(leaf, [], offline: true),
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(serverCa);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
            cts.Token);
        return new RawAgentConnection(tcp, tls);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await Stream.WriteAsync(bytes);
        await Stream.FlushAsync();
    }

    /// <summary>Sends and reads one response; null when the sidecar closed the connection without answering.</summary>
    public async Task<RawResponse?> RoundTripAsync(string text)
    {
        await SendAsync(text);
        return await ReadResponseAsync();
    }

    /// <summary>Reads one HTTP/1.1 response; null when the connection closes (or resets) before a status line.</summary>
    public async Task<RawResponse?> ReadResponseAsync()
    {
        var statusLine = await ReadLineAsync();
        if (statusLine is null)
        {
            return null;
        }

        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLineAsync(); !string.IsNullOrEmpty(line); line = await ReadLineAsync())
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = new StringBuilder();
        if (headers.TryGetValue("Content-Length", out var length))
        {
            body.Append(Encoding.UTF8.GetString(await ReadExactlyAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture))));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (await ReadLineAsync() is { } sizeLine)
            {
                var size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    await ReadLineAsync();
                    break;
                }

                body.Append(Encoding.UTF8.GetString(await ReadExactlyAsync(size)));
                await ReadLineAsync();
            }
        }

        return new RawResponse(status, headers, body.ToString());
    }

    /// <summary>True when the sidecar closes the connection (or resets it) within the bound; false if it stays open.</summary>
    public async Task<bool> ClosedAsync(TimeSpan? bound = null)
    {
        using var cts = new CancellationTokenSource(bound ?? Bound);
        try
        {
            while (true)
            {
                var read = await Stream.ReadAsync(_buffer.AsMemory(_end == _buffer.Length ? (_start = _end = 0) : _end), cts.Token);
                if (read == 0)
                {
                    return true;
                }

                _end += read;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async Task<int> FillAsync()
    {
        if (_end == _buffer.Length)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        using var cts = new CancellationTokenSource(Bound);
        try
        {
            var read = await Stream.ReadAsync(_buffer.AsMemory(_end), cts.Token);
            _end += read;
            return read;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public async Task<byte[]?> ReadBytesAsync(int count)
    {
        while (_end - _start < count)
        {
            if (await FillAsync() == 0)
            {
                return null;
            }
        }

        var bytes = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return bytes;
    }

    private async Task<byte[]> ReadExactlyAsync(int count) =>
        await ReadBytesAsync(count) ?? throw new IOException("connection closed in the middle of a body");

    private async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }

            if (await FillAsync() == 0)
            {
                return null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}
