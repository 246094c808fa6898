using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>semver.is_valid and semver.compare (SemVer 2.0 precedence, as OPA's internal/semver).</summary>
internal static class SemverBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("semver.is_valid", 1, (_, a) => RegoBoolean.From(a[0] is RegoString s && SemverVersion.TryParse(s.Value, out SemverVersion _)));
        registry.Add("semver.compare", 2, Compare);
    }

    private static RegoNumber Compare(BuiltinContext context, RegoValue[] args)
    {
        var a = Operands.String(args, 0);
        var b = Operands.String(args, 1);
        if (!SemverVersion.TryParse(a, out var va))
        {
            throw new BuiltinErrorException($"operand 1: string {new RegoString(a)} is not a valid SemVer");
        }

        if (!SemverVersion.TryParse(b, out var vb))
        {
            throw new BuiltinErrorException($"operand 2: string {new RegoString(b)} is not a valid SemVer");
        }

        return RegoNumber.FromLong(va.CompareTo(vb));
    }
}
