using Microsoft.AspNetCore.Builder;

namespace SidecarProxy.Model;

/// <summary>Endpoint metadata: the endpoint answers only on this listener. Endpoints without it are agent-only.</summary>
internal sealed class ListenerMetadata(ListenerKind kind)
{
    public ListenerKind Kind { get; } = kind;
}

internal static class ListenerEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Restricts an endpoint to one listener. Every non-proxy endpoint must call this (e.g. the metrics
    /// helper: <c>endpoints.MapMetrics().RequireListener(ListenerKind.Operations)</c>), otherwise it is treated
    /// as an agent endpoint and is unreachable on the operations port.
    /// </summary>
    public static TBuilder RequireListener<TBuilder>(this TBuilder builder, ListenerKind kind)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new ListenerMetadata(kind));
        return builder;
    }
}
