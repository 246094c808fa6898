namespace SidecarProxy.Rego.Builtins;

internal static class UnitsBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
