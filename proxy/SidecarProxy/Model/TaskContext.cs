using System.Text.Json;

namespace SidecarProxy.Model;

/// <summary>A verified task grant as the policy sees it (<c>input.task</c>).</summary>
/// <param name="Id">The task id (<c>task_id</c> or <c>jti</c>).</param>
/// <param name="Issuer">The grant's <c>iss</c>.</param>
/// <param name="ExpiresAt">The grant's <c>exp</c>.</param>
/// <param name="Claims">Remaining claims, as JSON values.</param>
internal sealed record TaskContext(
    string Id,
    string? Issuer,
    DateTimeOffset? ExpiresAt,
    IReadOnlyDictionary<string, JsonElement> Claims);
