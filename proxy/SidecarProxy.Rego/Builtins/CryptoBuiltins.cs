namespace SidecarProxy.Rego.Builtins;

internal static class CryptoBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
