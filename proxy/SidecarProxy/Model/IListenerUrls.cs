namespace SidecarProxy.Model;

/// <summary>The base URL of each listener, with the port actually bound (for links the sidecar hands out).</summary>
internal interface IListenerUrls
{
    Uri GetUrl(ListenerKind kind);
}
