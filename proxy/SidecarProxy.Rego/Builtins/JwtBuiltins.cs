namespace SidecarProxy.Rego.Builtins;

internal static class JwtBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
