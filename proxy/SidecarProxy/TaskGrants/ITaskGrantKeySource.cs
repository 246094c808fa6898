using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TaskGrants;

/// <summary>Where the orchestrator's public keys come from (a JWKS file or URL).</summary>
internal interface ITaskGrantKeySource
{
    /// <summary>The current keys, or null when none could ever be loaded.</summary>
    ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reloads now because a grant names a key id not in the current set (the orchestrator rotated).
    /// Rate-limited by the source; returns true when a new set was loaded.
    /// </summary>
    ValueTask<bool> RefreshAsync(CancellationToken cancellationToken);
}
