using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Hook for whoever counts or records what the proxy does (metrics, audit). Register any number of
/// implementations as <c>IProxyEvents</c> singletons; <see cref="ProxyEvents"/> calls each. Implementations
/// must be fast and must not throw: they run on the request path.
/// </summary>
internal interface IProxyEvents
{
    /// <summary>A request was refused with <paramref name="code"/>; <paramref name="toolId"/> is null before routing.</summary>
    void RequestDenied(HttpContext context, DenialCode code, string? toolId)
    {
    }

    /// <summary>The policy allowed the request; the credential stage and the forwarder come next.</summary>
    void RequestAllowed(HttpContext context, string toolId)
    {
    }
}
