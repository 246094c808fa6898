using Microsoft.AspNetCore.Server.Kestrel.Core;
using SidecarProxy.Model;

namespace SidecarProxy.Hosting;

/// <summary>The Kestrel endpoints by kind; after start-up they report the bound port (useful when it was 0).</summary>
internal sealed class SidecarListeners : IListenerUrls
{
    private readonly Dictionary<ListenerKind, ListenOptions> _listeners = [];

    public void Add(ListenerKind kind, ListenOptions options) => _listeners[kind] = options;

    /// <summary>The base URL of a listener, with the port actually bound.</summary>
    public Uri GetUrl(ListenerKind kind)
    {
        var listen = _listeners[kind];
        var scheme = kind is ListenerKind.Agent or ListenerKind.Admin ? "https" : "http";
        return new Uri($"{scheme}://{listen.IPEndPoint}/");
    }
}
