using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>equal, neq, lt, lte, gt, gte: any two values compare, across types in OPA's total order.</summary>
internal static class ComparisonBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("equal", 2, static (_, a) => RegoBoolean.From(a[0].Equals(a[1])));
        registry.Add("neq", 2, static (_, a) => RegoBoolean.From(!a[0].Equals(a[1])));
        registry.Add("lt", 2, static (_, a) => RegoBoolean.From(a[0].CompareTo(a[1]) < 0));
        registry.Add("lte", 2, static (_, a) => RegoBoolean.From(a[0].CompareTo(a[1]) <= 0));
        registry.Add("gt", 2, static (_, a) => RegoBoolean.From(a[0].CompareTo(a[1]) > 0));
        registry.Add("gte", 2, static (_, a) => RegoBoolean.From(a[0].CompareTo(a[1]) >= 0));
    }
}
