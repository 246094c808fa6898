using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>Opens a gRPC channel to the Workload API endpoint: HTTP/2 without TLS, over a Unix socket or TCP.</summary>
internal static class WorkloadApiChannel
{
    public static GrpcChannel Create(WorkloadApiAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);

        // No TLS: the Workload Endpoint authenticates the caller out of band (the agent inspects the peer process),
        // and the caller trusts the endpoint by where the socket is. HTTP/2 is spoken with prior knowledge.
        var handler = new SocketsHttpHandler
        {
            // A rotation may be hours away, so the stream is idle for long; pings notice a dead agent over TCP
            // (a Unix socket reports the peer's death at once, the pings cost nothing there).
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = false,
        };

        string target;
        if (address.UnixSocketPath is { } path)
        {
            handler.ConnectCallback = (_, cancellationToken) => ConnectUnixAsync(path, cancellationToken);

            // The authority is not used to route; any well-formed host will do.
            target = "http://localhost";
        }
        else
        {
            target = "http://" + address.TcpEndPoint;
        }

        return GrpcChannel.ForAddress(target, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            Credentials = ChannelCredentials.Insecure,
        });
    }

    private static async ValueTask<Stream> ConnectUnixAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
