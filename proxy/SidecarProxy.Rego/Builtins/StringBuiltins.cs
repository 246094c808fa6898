namespace SidecarProxy.Rego.Builtins;

internal static class StringBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
