namespace SidecarProxy.Rego.Builtins;

internal static class ArrayBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
