using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>Fans events out to every registered <see cref="IProxyEvents"/>.</summary>
internal sealed class ProxyEvents(IEnumerable<IProxyEvents> sinks)
{
    private readonly IProxyEvents[] _sinks = [.. sinks];

    public void RequestDenied(HttpContext context, DenialCode code, string? toolId)
    {
        foreach (var sink in _sinks)
        {
            sink.RequestDenied(context, code, toolId);
        }
    }

    public void RequestAllowed(HttpContext context, string toolId)
    {
        foreach (var sink in _sinks)
        {
            sink.RequestAllowed(context, toolId);
        }
    }
}
