using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Audit;

/// <summary>
/// What later stages tell the audit about one request (the denial, the injected credential), collected while
/// the request runs and written as one record when it ends. Holds no secret: the credential's value is
/// never copied into the record, only its fingerprint.
/// </summary>
internal sealed class RequestAuditFeature
{
    /// <summary>The first denial of the request (later ones cannot happen: a denial ends the pipeline).</summary>
    public DenialCode? Denial { get; set; }

    public IssuedCredential? Credential { get; set; }

    /// <summary>The JSON-RPC messages of an MCP route's request and what became of each; null elsewhere.</summary>
    public IReadOnlyList<McpAuditEntry>? Mcp { get; set; }
}
