namespace SidecarProxy.Rego.Builtins;

internal static class TypeBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
