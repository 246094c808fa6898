namespace SidecarProxy.Rego.Builtins;

internal static class TimeBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
