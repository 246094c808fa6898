namespace SidecarProxy.Rego.Builtins;

internal static class SemverBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
