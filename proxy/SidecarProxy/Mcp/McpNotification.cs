using System.Text.Json;

namespace SidecarProxy.Mcp;

/// <summary>
/// A JSON-RPC notification the sidecar itself writes to an MCP client on a session's GET stream
/// (<see cref="McpServerStream"/>): its method (the metric's label) and its whole message as JSON text.
/// </summary>
internal sealed record McpNotification(string Method, string Json)
{
    public const string ElicitationCompleteMethod = "notifications/elicitation/complete";

    /// <summary>A notification without params (the list_changed kinds).</summary>
    public static McpNotification Of(string method) => new(method, "{\"jsonrpc\":\"2.0\",\"method\":" + JsonSerializer.Serialize(method) + "}");

    /// <summary>2025-11-25: the out-of-band interaction behind a URL-mode elicitation is over.</summary>
    public static McpNotification ElicitationComplete(string elicitationId) => new(
        ElicitationCompleteMethod,
        "{\"jsonrpc\":\"2.0\",\"method\":\"" + ElicitationCompleteMethod + "\",\"params\":{\"elicitationId\":" + JsonSerializer.Serialize(elicitationId) + "}}");
}
