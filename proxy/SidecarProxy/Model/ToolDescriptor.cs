using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Model;

/// <summary>
/// A tool as described by its YARP route's <c>Metadata</c>: <c>Tool</c> (required id), <c>Credential</c>
/// (optional provider name) and <c>Labels.&lt;name&gt;</c> entries (free labels for the policy).
/// </summary>
internal sealed record ToolDescriptor(
    string Id,
    string? Credential,
    IReadOnlyDictionary<string, string> Labels,
    string? PathPrefix)
{
    public const string ToolKey = "Tool";
    public const string CredentialKey = "Credential";
    public const string LabelPrefix = "Labels.";

    private static readonly ConditionalWeakTable<RouteConfig, ToolDescriptor> Cache = [];

    /// <summary>The descriptor of a validated route; cached per route object, as YARP replaces routes on reload.</summary>
    public static ToolDescriptor For(RouteConfig route) => Cache.GetValue(route, Create);

    /// <summary>Configuration errors of a route's tool metadata; empty when the route is a valid tool.</summary>
    public static IEnumerable<string> Validate(RouteConfig route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var metadata = route.Metadata;
        if (metadata is null || !metadata.TryGetValue(ToolKey, out var tool) || string.IsNullOrWhiteSpace(tool))
        {
            yield return $"route '{route.RouteId}': Metadata.Tool is required (it names the tool for policy, credentials and metrics)";
            yield break;
        }

        if (!IsToken(tool))
        {
            yield return $"route '{route.RouteId}': Metadata.Tool '{tool}' must use only a-z, 0-9, '-', '_' and '.'";
        }

        foreach (var key in metadata.Keys)
        {
            if (key.StartsWith(LabelPrefix, StringComparison.Ordinal) && key.Length == LabelPrefix.Length)
            {
                yield return $"route '{route.RouteId}': Metadata key '{key}' has no label name";
            }
        }
    }

    private static ToolDescriptor Create(RouteConfig route)
    {
        var metadata = route.Metadata ?? FrozenDictionary<string, string>.Empty;
        var labels = metadata
            .Where(p => p.Key.StartsWith(LabelPrefix, StringComparison.Ordinal) && p.Key.Length > LabelPrefix.Length)
            .ToFrozenDictionary(p => p.Key[LabelPrefix.Length..], p => p.Value, StringComparer.Ordinal);
        metadata.TryGetValue(CredentialKey, out var credential);
        return new ToolDescriptor(
            metadata.TryGetValue(ToolKey, out var id) ? id : route.RouteId,
            string.IsNullOrWhiteSpace(credential) ? null : credential,
            labels,
            FindRemovedPrefix(route));
    }

    // The policy sees the path the tool will see, so it needs the prefix YARP's PathRemovePrefix strips.
    private static string? FindRemovedPrefix(RouteConfig route)
    {
        if (route.Transforms is null)
        {
            return null;
        }

        foreach (var transform in route.Transforms)
        {
            if (transform.TryGetValue("PathRemovePrefix", out var prefix) && !string.IsNullOrEmpty(prefix))
            {
                return prefix;
            }
        }

        return null;
    }

    private static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
