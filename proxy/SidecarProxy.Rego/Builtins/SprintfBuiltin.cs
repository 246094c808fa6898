namespace SidecarProxy.Rego.Builtins;

internal static class SprintfBuiltin
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
