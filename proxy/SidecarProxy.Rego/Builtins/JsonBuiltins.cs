namespace SidecarProxy.Rego.Builtins;

internal static class JsonBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
