using System.Runtime.CompilerServices;

namespace SidecarProxy.Rego.Builtins;

/// <summary>Recursive builtins over user data check the stack, so a deep value fails the builtin rather than the process.</summary>
internal static class JsonStackGuard
{
    public static void Ensure()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new BuiltinErrorException("value nested too deeply");
        }
    }
}
