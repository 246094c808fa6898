using SidecarProxy.Identity;
using SidecarProxy.Model;

namespace SidecarProxy.Revocation;

/// <summary>
/// Whether an identity (or, once known, a task) has been revoked. Called by the revocation stage with the
/// task id null (the stage runs before the task grant is read) and may be called again by the task stage
/// with the task id. The default, <see cref="NoRevocations"/>, revokes nothing.
/// </summary>
internal interface IRevocationCheck
{
    ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct);
}

internal sealed class NoRevocations : IRevocationCheck
{
    public ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct) =>
        ValueTask.FromResult(false);
}
