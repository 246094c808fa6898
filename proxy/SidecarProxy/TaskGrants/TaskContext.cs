using System.Text.Json.Nodes;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// A verified task: what the policy sees as <c>input.task</c> and what credentials are scoped to. Holds no
/// part of the grant's signature, so it is safe to log and to hand to the policy.
/// </summary>
/// <param name="Id">The <c>task_id</c> claim, else <c>jti</c>.</param>
/// <param name="Issuer">The grant's <c>iss</c>.</param>
/// <param name="ExpiresAt">The grant's <c>exp</c>.</param>
/// <param name="Claims">The grant's other claims (not iss, sub, exp, nbf, iat, task_id).</param>
internal sealed record TaskContext(string Id, string Issuer, DateTimeOffset ExpiresAt, JsonObject Claims)
{
    /// <summary>The <c>input.task</c> object: <c>{"id", "issuer", "expires_at", "claims"}</c>.</summary>
    public JsonObject ToPolicyInput() => new()
    {
        ["id"] = Id,
        ["issuer"] = Issuer,
        ["expires_at"] = ExpiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        ["claims"] = Claims.DeepClone(),
    };
}
