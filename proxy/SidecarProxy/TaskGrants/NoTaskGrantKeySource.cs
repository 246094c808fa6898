using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TaskGrants;

/// <summary>No keys configured: every grant that is sent fails closed as <see cref="TaskGrantFailure.KeysUnavailable"/>.</summary>
internal sealed class NoTaskGrantKeySource : ITaskGrantKeySource
{
    public ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SecurityKey>?>(null);

    public ValueTask<bool> RefreshAsync(CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
