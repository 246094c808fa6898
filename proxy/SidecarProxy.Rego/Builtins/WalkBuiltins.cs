namespace SidecarProxy.Rego.Builtins;

internal static class WalkBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
