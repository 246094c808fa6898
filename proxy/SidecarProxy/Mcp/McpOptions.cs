using Microsoft.Extensions.Options;

namespace SidecarProxy.Mcp;

/// <summary><c>Sidecar:Mcp</c>: limits of the MCP stage (routes with <c>Metadata.Protocol = mcp</c>).</summary>
internal sealed record McpOptions
{
    public const string SectionName = "Sidecar:Mcp";

    /// <summary>Largest JSON-RPC POST body the sidecar reads; larger is 413 [1048576].</summary>
    public long MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest list result (JSON body or one SSE event) the sidecar buffers to filter; larger is refused [8388608].</summary>
    public long MaxListResponseBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>A session id unused this long is forgotten (and then refused) [01:00:00].</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Sessions remembered at most; the least recently used is forgotten beyond [10000].</summary>
    public int MaxSessions { get; init; } = 10_000;
}

internal sealed class McpOptionsValidator : IValidateOptions<McpOptions>
{
    public ValidateOptionsResult Validate(string? name, McpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxMessageBytes is < 2 or > 64L * 1024 * 1024)
        {
            errors.Add("Sidecar:Mcp:MaxMessageBytes must be between 2 and 67108864");
        }

        if (options.MaxListResponseBytes is < 2 or > 256L * 1024 * 1024)
        {
            errors.Add("Sidecar:Mcp:MaxListResponseBytes must be between 2 and 268435456");
        }

        if (options.SessionIdleTimeout <= TimeSpan.Zero)
        {
            errors.Add("Sidecar:Mcp:SessionIdleTimeout must be positive");
        }

        if (options.MaxSessions < 1)
        {
            errors.Add("Sidecar:Mcp:MaxSessions must be at least 1");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
