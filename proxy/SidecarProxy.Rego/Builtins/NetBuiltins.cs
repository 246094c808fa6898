namespace SidecarProxy.Rego.Builtins;

internal static class NetBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
