using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// A builtin function. Returns the result, or null when the result is undefined.
/// Throws <see cref="BuiltinTypeException"/> for a wrong operand type (OPA's eval_type_error)
/// and <see cref="BuiltinErrorException"/> for other failures (OPA's eval_builtin_error).
/// The <paramref name="args"/> array belongs to the caller: read it, do not keep it.
/// </summary>
public delegate RegoValue? BuiltinFunction(BuiltinContext context, RegoValue[] args);

/// <summary>A builtin relation (like <c>walk</c>): produces zero or more results for one call.</summary>
public delegate IEnumerable<RegoValue> BuiltinRelation(BuiltinContext context, RegoValue[] args);

/// <summary>One builtin: its name as written in Rego (<c>"count"</c>, <c>"io.jwt.decode"</c>), its arity, and its body.</summary>
public sealed record BuiltinDefinition(string Name, int Arity, BuiltinFunction? Function, BuiltinRelation? Relation = null)
{
    /// <summary>True for builtins whose result may differ between calls with the same arguments (time.now_ns, rand, uuid.rfc4122 is cached per query).</summary>
    public bool NonDeterministic { get; init; }
}
