using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SidecarProxy.Mcp;

/// <summary>
/// <c>Metadata.Protocol</c> of a tool route: absent (plain HTTP) or <c>mcp</c> (the route is an MCP server and the
/// MCP stage reads every JSON-RPC message). Any other value is a configuration error at start-up (YARP's route
/// validation), so a typo never turns an MCP server into an unchecked HTTP tool.
/// </summary>
internal static class McpRoute
{
    public const string ProtocolKey = "Protocol";
    public const string Mcp = "mcp";

    public static bool IsMcp(RouteConfig route) =>
        route.Metadata is { } metadata
        && metadata.TryGetValue(ProtocolKey, out var protocol)
        && string.Equals(protocol, Mcp, StringComparison.Ordinal);

    public static IEnumerable<string> Validate(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.Metadata is { } metadata && metadata.TryGetValue(ProtocolKey, out var protocol)
            && !string.Equals(protocol, Mcp, StringComparison.Ordinal))
        {
            yield return $"route '{route.RouteId}': Metadata.Protocol '{protocol}' is not supported (the only value is 'mcp'; leave it out for a plain HTTP tool)";
        }
    }
}

/// <summary>Validates <c>Metadata.Protocol</c> when YARP loads routes; adds no transform.</summary>
internal sealed class McpRouteValidator : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var error in McpRoute.Validate(context.Route))
        {
            context.Errors.Add(new InvalidOperationException(error));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
    }
}
