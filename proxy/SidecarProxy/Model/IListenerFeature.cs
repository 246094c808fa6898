using SidecarProxy.Dev;


namespace SidecarProxy.Model;

/// <summary>Set on every connection by the listener it arrived on (see <see cref="SidecarKestrelSetup"/>).</summary>
internal interface IListenerFeature
{
    ListenerKind Kind { get; }
}

internal sealed class ListenerFeature : IListenerFeature
{
    public static readonly ListenerFeature Agent = new(ListenerKind.Agent);
    public static readonly ListenerFeature Operations = new(ListenerKind.Operations);
    public static readonly ListenerFeature DemoUpstream = new(ListenerKind.DemoUpstream);
    public static readonly ListenerFeature Admin = new(ListenerKind.Admin);

    private ListenerFeature(ListenerKind kind) => Kind = kind;

    public ListenerKind Kind { get; }
}
