namespace SidecarProxy.Rego.Builtins;

internal static class SetBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
