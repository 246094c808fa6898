using Microsoft.Extensions.Options;

namespace SidecarProxy.Routing;

/// <summary>What the sidecar does with a request path a tool could read differently than the policy.</summary>
internal enum PathMode
{
    /// <summary>Refuse it: <c>400 path_rejected</c>.</summary>
    Reject,

    /// <summary>Decode and resolve it, then route, decide on and forward exactly the normalized path.</summary>
    Normalize,
}

/// <summary><c>Sidecar:Paths</c>: see <see cref="PathGuard"/>.</summary>
internal sealed record PathOptions
{
    public const string SectionName = "Sidecar:Paths";

    /// <summary><c>reject</c> (default) or <c>normalize</c>.</summary>
    public PathMode Mode { get; init; } = PathMode.Reject;
}

internal sealed class PathOptionsValidator : IValidateOptions<PathOptions>
{
    public ValidateOptionsResult Validate(string? name, PathOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Enum.IsDefined(options.Mode)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{PathOptions.SectionName}:Mode must be reject or normalize (got '{options.Mode}')");
    }
}
