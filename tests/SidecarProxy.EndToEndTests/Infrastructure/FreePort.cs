using System.Net;
using System.Net.Sockets;

namespace SidecarProxy.EndToEndTests.Infrastructure;

internal static class FreePort
{
    /// <summary>A port free on 127.0.0.1 right now, for servers (like Prometheus) that cannot bind port 0 and report it.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
