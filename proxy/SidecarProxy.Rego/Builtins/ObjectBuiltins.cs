namespace SidecarProxy.Rego.Builtins;

internal static class ObjectBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
