using System.Diagnostics.CodeAnalysis;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Operand checks for builtins, with OPA's error messages ("operand 1 must be string but got number").
/// Operand positions in messages are 1-based, as in OPA.
/// </summary>
public static class Operands
{
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named after the Rego operand type it checks (OPA's own type names, as in its error messages).")]
    public static string String(RegoValue[] args, int index) => args[index] is RegoString s ? s.Value : throw TypeError(args, index, "string");

    public static RegoNumber Number(RegoValue[] args, int index) => args[index] as RegoNumber ?? throw TypeError(args, index, "number");

    public static bool Boolean(RegoValue[] args, int index) => args[index] is RegoBoolean b ? b.Value : throw TypeError(args, index, "boolean");

    public static RegoArray Array(RegoValue[] args, int index) => args[index] as RegoArray ?? throw TypeError(args, index, "array");

    public static RegoSet Set(RegoValue[] args, int index) => args[index] as RegoSet ?? throw TypeError(args, index, "set");

    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named after the Rego operand type it checks (OPA's own type names, as in its error messages).")]
    public static RegoObject Object(RegoValue[] args, int index) => args[index] as RegoObject ?? throw TypeError(args, index, "object");

    /// <summary>An integer operand (OPA: "operand 1 must be integer number but got floating-point number").</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Returns the operand as a .NET Int32, named like Convert.ToInt32; Rego's own name for the operand type (integer) is a type name too.")]
    public static int Int32(RegoValue[] args, int index)
    {
        var n = Number(args, index);
        if (!n.TryGetInt32(out var value))
        {
            throw new BuiltinTypeException($"operand {index + 1} must be integer number but got floating-point number");
        }

        return value;
    }

    /// <summary>The elements of an array or a set (OPA: "operand 1 must be one of {array, set} but got ...").</summary>
    public static ReadOnlySpan<RegoValue> Collection(RegoValue[] args, int index) => args[index] switch
    {
        RegoArray a => a.Items,
        RegoSet s => s.Items,
        _ => throw TypeError(args, index, "one of {array, set}"),
    };

    public static BuiltinTypeException TypeError(RegoValue[] args, int index, string expected) =>
        new($"operand {index + 1} must be {expected} but got {args[index].TypeName}");
}
