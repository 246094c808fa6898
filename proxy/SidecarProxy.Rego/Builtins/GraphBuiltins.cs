namespace SidecarProxy.Rego.Builtins;

internal static class GraphBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
