using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Ast;

internal readonly record struct Loc(string File, int Line, int Column);

internal abstract class Term
{
    protected Term(Loc loc) => Loc = loc;

    public Loc Loc { get; }
}

internal sealed class ScalarTerm(Loc loc, RegoValue value) : Term(loc)
{
    public RegoValue Value { get; } = value;
}

internal sealed class VarTerm(Loc loc, string name) : Term(loc)
{
    public string Name { get; } = name;

    /// <summary>A <c>_</c> in the source (renamed to a unique name by the parser).</summary>
    public bool IsWildcard => Name.StartsWith("$_", StringComparison.Ordinal);
}

internal sealed class RefTerm(Loc loc, Term head, List<Term> path) : Term(loc)
{
    public Term Head { get; } = head;

    /// <summary>Path elements; <c>.x</c> is a string scalar.</summary>
    public List<Term> Path { get; } = path;
}

internal sealed class ArrayTerm(Loc loc, List<Term> items) : Term(loc)
{
    public List<Term> Items { get; } = items;
}

internal sealed class SetTerm(Loc loc, List<Term> items) : Term(loc)
{
    public List<Term> Items { get; } = items;
}

internal sealed class ObjectTerm(Loc loc, List<KeyValuePair<Term, Term>> items) : Term(loc)
{
    public List<KeyValuePair<Term, Term>> Items { get; } = items;
}

internal enum ComprehensionKind
{
    Array,
    Set,
    Object,
}

internal sealed class ComprehensionTerm(Loc loc, ComprehensionKind kind, Term head, Term? value, List<Literal> body) : Term(loc)
{
    public ComprehensionKind Kind { get; } = kind;

    /// <summary>The element (array, set) or the key (object).</summary>
    public Term Head { get; } = head;

    /// <summary>The value, for object comprehensions.</summary>
    public Term? Value { get; } = value;

    public List<Literal> Body { get; } = body;
}

/// <summary>A call: <c>count(x)</c>, <c>data.p.f(1)</c>, or an operator (<c>plus</c>, <c>equal</c>...).</summary>
internal sealed class CallTerm(Loc loc, Term function, List<Term> args) : Term(loc)
{
    /// <summary>A var (<c>count</c>) or ref (<c>io.jwt.decode</c>, <c>data.p.f</c>) naming the function.</summary>
    public Term Function { get; } = function;

    public List<Term> Args { get; } = args;

    public bool IsOperator { get; init; }
}

internal sealed class TemplateTerm(Loc loc, List<object> parts) : Term(loc)
{
    /// <summary>Literal text (string) or embedded expressions (Term).</summary>
    public List<object> Parts { get; } = parts;
}

internal enum LiteralKind
{
    Term,
    Assign,
    Unify,
    SomeDecl,
    SomeIn,
    Every,
}

internal sealed class WithModifier(Loc loc, Term target, Term value)
{
    public Loc Loc { get; } = loc;

    public Term Target { get; } = target;

    public Term Value { get; } = value;
}

internal sealed class Literal
{
    public Loc Loc { get; init; }

    public LiteralKind Kind { get; init; }

    public bool Negated { get; init; }

    /// <summary>The term (Term kind), the left side (Assign, Unify), or the collection (SomeIn, Every).</summary>
    public Term? Left { get; init; }

    /// <summary>The right side (Assign, Unify).</summary>
    public Term? Right { get; init; }

    /// <summary>Declared names (SomeDecl).</summary>
    public List<VarTerm>? Vars { get; init; }

    /// <summary>Key and value patterns (SomeIn, Every); Key may be null.</summary>
    public Term? Key { get; init; }

    public Term? Value { get; init; }

    public List<Literal>? Body { get; init; }

    public List<WithModifier> With { get; } = [];
}

internal enum RuleKind
{
    Complete,
    PartialSet,
    Function,
}

internal sealed class RuleBranch(Term? value, List<Literal> body, Loc loc)
{
    public Term? Value { get; } = value;

    public List<Literal> Body { get; } = body;

    public Loc Loc { get; } = loc;
}

internal sealed class Rule
{
    public Loc Loc { get; init; }

    public bool IsDefault { get; init; }

    public RuleKind Kind { get; init; }

    /// <summary>The head's ref: first element is the rule name (string), then path terms.</summary>
    public required RefTerm Head { get; init; }

    public List<Term>? Args { get; init; }

    /// <summary>The element, for <c>contains</c> rules.</summary>
    public Term? Key { get; init; }

    /// <summary>The value (null: true).</summary>
    public Term? Value { get; init; }

    public required List<Literal> Body { get; init; }

    /// <summary>The else chain, in order.</summary>
    public List<RuleBranch> Else { get; } = [];

    /// <summary>Whether the body was written (false for <c>p := 1</c>).</summary>
    public bool HasBody { get; init; }
}

internal sealed class Import(Loc loc, RefTerm path, string? alias)
{
    public Loc Loc { get; } = loc;

    public RefTerm Path { get; } = path;

    public string? Alias { get; } = alias;
}

internal sealed class Module
{
    public required string File { get; init; }

    public required List<string> Package { get; init; }

    public Loc PackageLoc { get; init; }

    public List<Import> Imports { get; } = [];

    public List<Rule> Rules { get; } = [];
}
