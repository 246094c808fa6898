using System.Numerics;

namespace SidecarProxy.Rego.Builtins;

/// <summary>The Go type of a sprintf operand as OPA passes it to fmt.Sprintf.</summary>
internal enum SprintfKind
{
    Int,
    BigInt,
    Float,
    String,
}

/// <summary>One operand of <c>sprintf</c>, typed as Go would see it.</summary>
internal readonly record struct SprintfOperand(SprintfKind Kind, BigInteger Integer, double Float, string Text, string? TypeName = null)
{
    public static SprintfOperand FromInt(long value) => new(SprintfKind.Int, value, 0, string.Empty);

    public static SprintfOperand FromBig(BigInteger value) => new(SprintfKind.BigInt, value, 0, string.Empty);

    public static SprintfOperand FromFloat(double value) => new(SprintfKind.Float, BigInteger.Zero, value, string.Empty);

    public static SprintfOperand FromString(string value) => new(SprintfKind.String, BigInteger.Zero, 0, value);

    /// <summary>A json.Number, as Go's template functions see numbers decoded from JSON: a string type.</summary>
    public static SprintfOperand FromJsonNumber(string text) => new(SprintfKind.String, BigInteger.Zero, 0, text, "json.Number");

    /// <summary>Go's reflect type name, as printed by %T and in "%!d(string=x)".</summary>
    public string GoTypeName => TypeName ?? Kind switch
    {
        SprintfKind.Int => "int",
        SprintfKind.BigInt => "*big.Int",
        SprintfKind.Float => "float64",
        _ => "string",
    };
}
