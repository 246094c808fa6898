namespace SidecarProxy.Rego.Builtins;

internal static class AggregateBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
