namespace SidecarProxy.Rego.Builtins;

internal static class EncodingBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
