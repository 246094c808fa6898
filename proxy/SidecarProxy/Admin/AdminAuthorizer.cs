using Microsoft.Extensions.Options;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Admin;

/// <summary>The roles of an admin caller: the union of the roles of every <c>Sidecar:Admin:Principals</c> entry it matches.</summary>
internal sealed class AdminAuthorizer
{
    private readonly (AdminPrincipalPattern Pattern, HashSet<string> Roles)[] _principals;

    public AdminAuthorizer(IOptions<AdminOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _principals = [.. options.Value.Principals
            .Select(p => (AdminPrincipalPattern.TryCreate(p.Id, out _), p.Roles))
            .Where(p => p.Item1 is not null)
            .Select(p => (p.Item1!, new HashSet<string>(p.Roles, StringComparer.Ordinal)))];
    }

    /// <summary>Whether <paramref name="id"/> holds any of <paramref name="roles"/>.</summary>
    public bool HasAnyRole(SpiffeId id, params string[] roles)
    {
        foreach (var (pattern, granted) in _principals)
        {
            if (roles.Any(granted.Contains) && pattern.Matches(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every role <paramref name="id"/> holds (the union over the principals it matches).</summary>
    public IReadOnlySet<string> RolesOf(SpiffeId id)
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (pattern, granted) in _principals)
        {
            if (pattern.Matches(id))
            {
                roles.UnionWith(granted);
            }
        }

        return roles;
    }
}
