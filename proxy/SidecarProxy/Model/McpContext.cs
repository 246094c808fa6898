using System.Text.Json;

namespace SidecarProxy.Model;

/// <summary>
/// <c>input.mcp</c>: the one JSON-RPC message (or list item) of an MCP route the policy is asked about. Absent for
/// routes that are not MCP servers. Built by <c>Mcp/McpMiddleware</c>; never holds a credential (the message body
/// is the agent's own, and MCP carries credentials in HTTP headers, which are stripped).
/// </summary>
internal sealed record McpContext
{
    public const string PhaseCall = "call";
    public const string PhaseList = "list";
    public const string PhaseNotification = "notification";
    public const string PhaseResponse = "response";
    public const string PhaseTransport = "transport";

    /// <summary>The MCP revision: the <c>MCP-Protocol-Version</c> header, else the message's own, else null.</summary>
    public string? ProtocolVersion { get; init; }

    /// <summary>The JSON-RPC method; for a list item, the list method (<c>tools/list</c>); null for a response or a GET/DELETE.</summary>
    public string? Method { get; init; }

    /// <summary>The JSON-RPC id (string or number), or null for a notification.</summary>
    public JsonElement? Id { get; init; }

    /// <summary>Tool name (<c>tools/call</c>), prompt name (<c>prompts/get</c>), resource URI (<c>resources/read</c>), or the list item's name/URI.</summary>
    public string? Name { get; init; }

    /// <summary>The call's <c>params.arguments</c>, as sent; null when there are none.</summary>
    public JsonElement? Arguments { get; init; }

    /// <summary>The <c>Mcp-Session-Id</c> the agent sent (2025-11-25 sessions), or null.</summary>
    public string? Session { get; init; }

    /// <summary><c>call</c>, <c>list</c>, <c>notification</c>, <c>response</c> or <c>transport</c> (GET stream, DELETE session).</summary>
    public required string Phase { get; init; }
}

/// <summary>The MCP context of a request that goes through the ordinary policy stage (GET stream, DELETE session).</summary>
internal interface IMcpPolicyFeature
{
    McpContext Context { get; }
}

internal sealed class McpPolicyFeature(McpContext context) : IMcpPolicyFeature
{
    public McpContext Context { get; } = context;
}

/// <summary>One JSON-RPC message of an MCP request in the audit trail; never its arguments.</summary>
internal sealed record McpAuditEntry(string? Method, string? Name, string Decision);
