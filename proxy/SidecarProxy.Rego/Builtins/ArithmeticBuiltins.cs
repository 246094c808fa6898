namespace SidecarProxy.Rego.Builtins;

internal static class ArithmeticBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
