namespace SidecarProxy.Rego.Builtins;

internal static class X509Builtins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
