namespace SidecarProxy.Rego.Builtins;

internal static class ComparisonBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
