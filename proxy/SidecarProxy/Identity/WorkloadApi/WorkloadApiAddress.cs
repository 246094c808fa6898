using System.Net;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// The Workload API endpoint address as SPIFFE libraries read <c>SPIFFE_ENDPOINT_SOCKET</c>:
/// <c>unix:///path/to/socket</c> (or <c>unix:/path</c>), or <c>tcp://IP:port</c>. Anything else is refused
/// rather than guessed at, so a typo stops the sidecar at start-up instead of leaving it without identity.
/// </summary>
internal sealed record WorkloadApiAddress
{
    private WorkloadApiAddress(string? unixSocketPath, IPEndPoint? tcpEndPoint)
    {
        UnixSocketPath = unixSocketPath;
        TcpEndPoint = tcpEndPoint;
    }

    /// <summary>Absolute path of the Unix domain socket, or null for a TCP address.</summary>
    public string? UnixSocketPath { get; }

    /// <summary>IP and port of a TCP endpoint, or null for a Unix socket.</summary>
    public IPEndPoint? TcpEndPoint { get; }

    public override string ToString() =>
        UnixSocketPath is not null ? "unix://" + UnixSocketPath : "tcp://" + TcpEndPoint;

    /// <summary>Parses an endpoint address; on failure <paramref name="error"/> says why (never echoing more than the input).</summary>
    public static bool TryParse(string? value, out WorkloadApiAddress? address, out string? error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "workload endpoint address is empty";
            return false;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            error = "workload endpoint address is not a URI";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "workload endpoint address must not include user info";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = "workload endpoint address must not include a query or fragment";
            return false;
        }

        switch (uri.Scheme)
        {
            case "unix":
                return TryParseUnix(value, uri, out address, out error);
            case "tcp":
                return TryParseTcp(uri, out address, out error);
            default:
                error = "workload endpoint address scheme must be unix or tcp";
                return false;
        }
    }

    private static bool TryParseUnix(string value, Uri uri, out WorkloadApiAddress? address, out string? error)
    {
        address = null;

        // "unix:relative/path" is opaque: .NET reports no leading slash in the path. Refused like go-spiffe does,
        // because a relative socket path depends on the working directory of whoever starts the sidecar.
        var rest = value["unix:".Length..];
        if (!rest.StartsWith('/'))
        {
            error = "workload endpoint unix socket URI must not be opaque";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Host))
        {
            error = "workload endpoint unix socket URI must not include an authority component";
            return false;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (path.Length <= 1)
        {
            error = "workload endpoint unix socket path is empty";
            return false;
        }

        address = new WorkloadApiAddress(path, null);
        error = null;
        return true;
    }

    private static bool TryParseTcp(Uri uri, out WorkloadApiAddress? address, out string? error)
    {
        address = null;
        if (uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6)
            || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip))
        {
            error = "workload endpoint tcp address host must be an IP address";
            return false;
        }

        if (uri.IsDefaultPort || uri.Port <= 0)
        {
            error = "workload endpoint tcp address must include a port";
            return false;
        }

        if (uri.AbsolutePath != "/")
        {
            error = "workload endpoint tcp address must not include a path";
            return false;
        }

        address = new WorkloadApiAddress(null, new IPEndPoint(ip, uri.Port));
        error = null;
        return true;
    }
}
