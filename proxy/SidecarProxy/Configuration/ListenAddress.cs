using System.Net;

namespace SidecarProxy.Configuration;

/// <summary>A listen URL reduced to what Kestrel needs. Only IP literals and localhost: a sidecar binds loopback.</summary>
internal sealed record ListenAddress(string Scheme, IPAddress Address, int Port)
{
    public static bool TryParse(string? url, string expectedScheme, out ListenAddress? address)
    {
        address = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Scheme, expectedScheme, StringComparison.OrdinalIgnoreCase)
            || uri.PathAndQuery is not ("/" or "")
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }

        IPAddress ip;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            ip = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out ip!))
        {
            return false;
        }

        address = new ListenAddress(uri.Scheme, ip, uri.Port);
        return true;
    }
}
