namespace SidecarProxy.Dev;

/// <summary><c>Sidecar:Dev</c>: Development-only conveniences; ignored outside the Development environment.</summary>
internal sealed record DevOptions
{
    /// <summary>Plain-HTTP endpoint of the built-in JSON echo upstream used by the demo tool route.</summary>
    public string? DemoUpstream { get; init; }

    /// <summary>Where the dev identity is created when none is configured.</summary>
    public string IdentityDirectory { get; init; } = ".dev/identity";
}
