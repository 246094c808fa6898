namespace SidecarProxy.Rego.Builtins;

internal static class GlobBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
