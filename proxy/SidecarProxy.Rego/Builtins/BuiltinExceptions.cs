namespace SidecarProxy.Rego.Builtins;

/// <summary>A builtin failed (OPA's <c>eval_builtin_error</c>). The message reads like OPA's, without the builtin's name prefix.</summary>
public class BuiltinErrorException : Exception
{
    public BuiltinErrorException(string message)
        : base(message)
    {
    }

    public BuiltinErrorException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BuiltinErrorException()
    {
    }
}

/// <summary>
/// An operand had the wrong type (OPA's <c>eval_type_error</c>), e.g. "operand 1 must be string but got number".
/// </summary>
public sealed class BuiltinTypeException : BuiltinErrorException
{
    public BuiltinTypeException(string message)
        : base(message)
    {
    }

    public BuiltinTypeException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BuiltinTypeException()
    {
    }
}
