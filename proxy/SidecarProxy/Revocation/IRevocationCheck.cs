using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// Whether an identity (or, once known, a task) has been revoked or quarantined. Called by the revocation stage
/// with the task id null (the stage runs before the task grant is read) and again by the task stage with the
/// task id. The sidecar's implementation is <see cref="RevocationStore"/>; <see cref="NoRevocations"/> revokes
/// nothing.
/// </summary>
internal interface IRevocationCheck
{
    ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct);

    /// <summary>Revoked, quarantined or neither. The default knows only revocation.</summary>
    async ValueTask<RevocationVerdict> CheckAsync(PeerIdentity identity, string? taskId, CancellationToken ct) =>
        await IsRevokedAsync(identity, taskId, ct)
            ? new RevocationVerdict(
                new RevocationRecord
                {
                    Id = "unknown",
                    Subject = new RevocationSubject(taskId is null ? SubjectKinds.SpiffeId : SubjectKinds.Task, taskId ?? identity.SpiffeId.ToString()),
                    Action = RevocationActions.Revoke,
                    Reason = "revoked",
                    CreatedAt = DateTimeOffset.MinValue,
                    CreatedBy = "unknown",
                },
                null)
            : RevocationVerdict.None;
}

internal sealed class NoRevocations : IRevocationCheck
{
    public ValueTask<bool> IsRevokedAsync(PeerIdentity identity, string? taskId, CancellationToken ct) =>
        ValueTask.FromResult(false);
}
