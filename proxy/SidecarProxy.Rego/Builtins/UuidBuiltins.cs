namespace SidecarProxy.Rego.Builtins;

internal static class UuidBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
