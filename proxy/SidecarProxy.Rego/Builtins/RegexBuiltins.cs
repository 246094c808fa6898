namespace SidecarProxy.Rego.Builtins;

internal static class RegexBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
