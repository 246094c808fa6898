namespace SidecarProxy.Rego.Builtins;

internal static class BitsBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
