using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>The outcome of <see cref="LNode.Once"/>.</summary>
internal enum OnceResult
{
    /// <summary>The literal does not hold.</summary>
    Fail,

    /// <summary>The literal holds; its bindings are on the trail.</summary>
    Ok,

    /// <summary>The literal may have several solutions (or needs a continuation here): use <see cref="LNode.Eval"/>.</summary>
    Unsupported,
}

/// <summary>
/// A literal. Literals of a body are chained through <see cref="Next"/>, so moving on to the next literal needs no
/// allocation: <c>k</c> is the continuation of the whole body and <see cref="Continue"/> runs the rest of it.
/// </summary>
internal abstract class LNode
{
    public Loc Loc { get; init; }

    /// <summary>The following literal of the same body (null for the last one, or a literal evaluated on its own).</summary>
    public LNode? Next { get; set; }

    public abstract bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k);

    /// <summary>
    /// Evaluates a literal that has at most one solution without a continuation, leaving its bindings on the trail
    /// (<see cref="EvalContext.Bind"/>). Returns <see cref="OnceResult.Unsupported"/>, having done nothing, when
    /// <see cref="Eval"/> must be used.
    /// </summary>
    public virtual OnceResult Once(EvalContext c, RegoValue?[] f) => OnceResult.Unsupported;

    public bool Run(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        c.Step();
        return Eval(c, f, k);
    }

    /// <summary>Runs the rest of the body after this literal succeeded.</summary>
    protected bool Continue(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        // Each solution counts, so a loop whose body is its last literal still spends the budget.
        c.Step();
        return Next is null ? k() : Next.Eval(c, f, k);
    }

    /// <summary>The rest of the body as a continuation (allocates; for the slow paths).</summary>
    protected Func<bool> Rest(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        var next = Next;
        return next is null ? () => { c.Step(); return k(); } : () => next.Run(c, f, k);
    }
}

/// <summary>What to do with each solution of a body (see <see cref="BodyNode.Solve"/>); one object per use, not per solution.</summary>
internal abstract class SolutionSink
{
    /// <summary>Called once per solution, with its bindings in the frame; returns false to stop the enumeration.</summary>
    public abstract bool OnSolution(EvalContext c, RegoValue?[] f);

    /// <summary>The sink as a continuation, for the literals that only run with one.</summary>
    public Func<bool> AsContinuation(EvalContext c, RegoValue?[] f) => () => OnSolution(c, f);
}

internal sealed class BodyNode
{
    public static readonly BodyNode Empty = new([]);

    public BodyNode(LNode[] literals)
    {
        Literals = literals;
        for (var i = 0; i + 1 < literals.Length; i++)
        {
            literals[i].Next = literals[i + 1];
        }
    }

    public LNode[] Literals { get; }

    public bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k) => Literals.Length == 0 ? k() : Literals[0].Run(c, f, k);

    /// <summary>Runs the body from literal <paramref name="i"/> on (the literals before it have succeeded).</summary>
    public bool EvalFrom(int i, EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        if (i == 0)
        {
            return Eval(c, f, k);
        }

        c.Step();
        return i == Literals.Length ? k() : Literals[i].Eval(c, f, k);
    }

    /// <summary>
    /// Enumerates the solutions of the body from literal <paramref name="i"/> on, calling
    /// <paramref name="sink"/> for each, without continuations while the literals have one solution or are
    /// <c>some x in xs</c> loops; from any other literal on, the continuation chain takes over. Bindings made here
    /// are undone before returning. Returns false when the sink stopped the enumeration.
    /// </summary>
    public bool Solve(EvalContext c, RegoValue?[] f, int i, SolutionSink sink)
    {
        var mark = c.TrailMark;
        try
        {
            var literals = Literals;
            for (; i < literals.Length; i++)
            {
                c.Step();
                var literal = literals[i];
                var r = literal.Once(c, f);
                if (r == OnceResult.Ok)
                {
                    continue;
                }

                if (r == OnceResult.Fail)
                {
                    return true;
                }

                if (literal is SomeInLiteral some && some.FreshSlot(f) is var slot and >= 0)
                {
                    return SolveEach(c, f, i, some.Collection.Value(c, f), slot, sink);
                }

                return literal.Eval(c, f, sink.AsContinuation(c, f));
            }

            return sink.OnSolution(c, f);
        }
        finally
        {
            c.Undo(f, mark);
        }
    }

    private bool SolveEach(EvalContext c, RegoValue?[] f, int i, RegoValue? collection, int slot, SolutionSink sink)
    {
        try
        {
            switch (collection)
            {
                case RegoArray a:
                    foreach (var item in a.Items)
                    {
                        c.Step();
                        Slots.Set(f, slot, item);
                        if (!Solve(c, f, i + 1, sink))
                        {
                            return false;
                        }
                    }

                    return true;
                case RegoSet s:
                    foreach (var item in s.Items)
                    {
                        c.Step();
                        Slots.Set(f, slot, item);
                        if (!Solve(c, f, i + 1, sink))
                        {
                            return false;
                        }
                    }

                    return true;
                case RegoObject o:
                    foreach (var (_, item) in o.Entries)
                    {
                        c.Step();
                        Slots.Set(f, slot, item);
                        if (!Solve(c, f, i + 1, sink))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }
        finally
        {
            f[slot] = null;
        }
    }

    /// <summary>
    /// Runs the literals one after the other without continuations while each has at most one solution. Returns
    /// <see cref="OnceResult.Ok"/> (the body holds; bindings on the trail), <see cref="OnceResult.Fail"/>, or
    /// <see cref="OnceResult.Unsupported"/> with <paramref name="stoppedAt"/> the literal to go on from with
    /// <see cref="EvalFrom"/>. The caller unbinds with <see cref="EvalContext.Undo"/> in every case.
    /// </summary>
    public OnceResult Once(EvalContext c, RegoValue?[] f, out int stoppedAt)
    {
        var literals = Literals;
        for (var i = 0; i < literals.Length; i++)
        {
            c.Step();
            var r = literals[i].Once(c, f);
            if (r != OnceResult.Ok)
            {
                stoppedAt = i;
                return r;
            }
        }

        stoppedAt = literals.Length;
        return OnceResult.Ok;
    }
}

/// <summary>A term used as a statement: succeeds for each value that is not <c>false</c>.</summary>
internal sealed class TermLiteral(TNode term) : LNode
{
    public TNode Term => term;

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        if (term.IsSimple)
        {
            var v = term.Value(c, f);
            return v is null || (v is RegoBoolean { Value: false }) || Continue(c, f, k);
        }

        return EvalEnumerating(c, f, Rest(c, f, k));
    }

    private bool EvalEnumerating(EvalContext c, RegoValue?[] f, Func<bool> rest) => term.Eval(c, f, v => v is RegoBoolean { Value: false } || rest());

    public override OnceResult Once(EvalContext c, RegoValue?[] f)
    {
        if (!term.IsSimple)
        {
            return OnceResult.Unsupported;
        }

        var v = term.Value(c, f);
        return v is null || v is RegoBoolean { Value: false } ? OnceResult.Fail : OnceResult.Ok;
    }
}

/// <summary><c>a = b</c> and <c>a := b</c>: evaluates the evaluable side and unifies the other with it.</summary>
internal sealed class UnifyLiteral(TNode left, TNode right) : LNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        if (right.IsSimple && right.IsGround(f))
        {
            var v = right.Value(c, f);
            if (v is null)
            {
                return true;
            }

            if (left is VarNode lv)
            {
                var cur = f[lv.Slot];
                if (cur is not null)
                {
                    return !cur.Equals(v) || Continue(c, f, k);
                }

                Slots.Set(f, lv.Slot, v);
                try
                {
                    return Continue(c, f, k);
                }
                finally
                {
                    f[lv.Slot] = null;
                }
            }

            if (left.IsSimple && left.IsGround(f))
            {
                var lvv = left.Value(c, f);
                return lvv is null || !lvv.Equals(v) || Continue(c, f, k);
            }

            return left.Unify(c, f, v, Rest(c, f, k));
        }

        return EvalSlow(c, f, Rest(c, f, k));
    }

    public override OnceResult Once(EvalContext c, RegoValue?[] f)
    {
        if (!right.IsSimple || !right.IsGround(f))
        {
            return OnceResult.Unsupported;
        }

        if (left is VarNode lv)
        {
            var v = right.Value(c, f);
            if (v is null)
            {
                return OnceResult.Fail;
            }

            var cur = f[lv.Slot];
            if (cur is not null)
            {
                return cur.Equals(v) ? OnceResult.Ok : OnceResult.Fail;
            }

            c.Bind(f, lv.Slot, v);
            return OnceResult.Ok;
        }

        if (left.IsSimple && left.IsGround(f))
        {
            var v = right.Value(c, f);
            if (v is null)
            {
                return OnceResult.Fail;
            }

            var lvv = left.Value(c, f);
            return lvv is not null && lvv.Equals(v) ? OnceResult.Ok : OnceResult.Fail;
        }

        return OnceResult.Unsupported;
    }

    private bool EvalSlow(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        if (right.IsGround(f))
        {
            return right.Eval(c, f, v => left.Unify(c, f, v, k));
        }

        if (left.IsGround(f))
        {
            return left.Eval(c, f, v => right.Unify(c, f, v, k));
        }

        if (left is ArrayNode la && right is ArrayNode ra && la.Items.Length == ra.Items.Length)
        {
            return Pairwise(c, f, la.Items, ra.Items, 0, k);
        }

        if (left is ObjectNode lo && right is ObjectNode ro && lo.KeyNodes.Length == ro.KeyNodes.Length)
        {
            var a = new TNode[lo.KeyNodes.Length];
            var b = new TNode[lo.KeyNodes.Length];
            for (var i = 0; i < a.Length; i++)
            {
                var key = lo.KeyNodes[i].Value(c, f);
                var j = key is null ? -1 : Array.FindIndex(ro.KeyNodes, kn => key.Equals(kn.Value(c, f)));
                if (j < 0)
                {
                    return true;
                }

                a[i] = lo.ValueNodes[i];
                b[i] = ro.ValueNodes[j];
            }

            return Pairwise(c, f, a, b, 0, k);
        }

        return true;
    }

    private static bool Pairwise(EvalContext c, RegoValue?[] f, TNode[] a, TNode[] b, int i, Func<bool> k)
    {
        if (i == a.Length)
        {
            return k();
        }

        var lit = new UnifyLiteral(a[i], b[i]);
        return lit.EvalSlow(c, f, () => Pairwise(c, f, a, b, i + 1, k));
    }
}

internal sealed class NotLiteral(LNode inner) : LNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k) => Holds(c, f) || Continue(c, f, k);

    public override OnceResult Once(EvalContext c, RegoValue?[] f) => Holds(c, f) ? OnceResult.Fail : OnceResult.Ok;

    /// <summary>Whether the negated literal has a solution (its bindings are undone).</summary>
    private bool Holds(EvalContext c, RegoValue?[] f)
    {
        if (inner is TermLiteral { Term.IsSimple: true } tl)
        {
            // `not ref` / `not f(x)`: no continuation to build.
            var v = tl.Term.Value(c, f);
            return v is not null && v is not RegoBoolean { Value: false };
        }

        var mark = c.TrailMark;
        try
        {
            var r = inner.Once(c, f);
            if (r != OnceResult.Unsupported)
            {
                return r == OnceResult.Ok;
            }
        }
        finally
        {
            c.Undo(f, mark);
        }

        return HasSolution(c, f, inner);
    }

    public static bool HasSolution(EvalContext c, RegoValue?[] f, LNode literal)
    {
        var found = false;
        literal.Eval(c, f, () =>
        {
            found = true;
            return false;
        });
        return found;
    }
}

/// <summary><c>some k, v in xs</c> and <c>some v in xs</c>.</summary>
internal sealed class SomeInLiteral(TNode? key, TNode value, TNode collection) : LNode
{
    public TNode Collection => collection;

    /// <summary>For <c>some x in xs</c> with x fresh and xs simple, the slot of x; otherwise -1 (use <see cref="Eval"/>).</summary>
    public int FreshSlot(RegoValue?[] f) => collection.IsSimple && key is null && value is VarNode { } vn && f[vn.Slot] is null ? vn.Slot : -1;

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k)
    {
        if (collection.IsSimple && key is null && value is VarNode { } vn && f[vn.Slot] is null)
        {
            // Fast path: some x in xs, x fresh.
            var coll = collection.Value(c, f);
            ReadOnlySpan<RegoValue> items = coll switch
            {
                RegoArray a => a.Items,
                RegoSet s => s.Items,
                _ => default,
            };
            if (coll is RegoObject o)
            {
                return Iterate(c, f, o, null, value, Rest(c, f, k));
            }

            try
            {
                foreach (var item in items)
                {
                    Slots.Set(f, vn.Slot, item);
                    if (!Continue(c, f, k))
                    {
                        return false;
                    }
                }

                return true;
            }
            finally
            {
                f[vn.Slot] = null;
            }
        }

        return EvalCollection(c, f, Rest(c, f, k));
    }

    private bool EvalCollection(EvalContext c, RegoValue?[] f, Func<bool> next) => collection.Eval(c, f, coll => Iterate(c, f, coll, key, value, next));

    public static bool Iterate(EvalContext c, RegoValue?[] f, RegoValue coll, TNode? key, TNode value, Func<bool> k)
    {
        switch (coll)
        {
            case RegoArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (!UnifyPair(c, f, key, key is null ? null : RegoNumber.FromLong(i), value, a[i], k))
                    {
                        return false;
                    }
                }

                return true;
            case RegoSet s:
                foreach (var item in s.Items)
                {
                    if (!UnifyPair(c, f, key, item, value, item, k))
                    {
                        return false;
                    }
                }

                return true;
            case RegoObject o:
                foreach (var (ek, ev) in o.Entries)
                {
                    if (!UnifyPair(c, f, key, ek, value, ev, k))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static bool UnifyPair(EvalContext c, RegoValue?[] f, TNode? key, RegoValue? k1, TNode value, RegoValue v1, Func<bool> k) =>
        key is null ? value.Unify(c, f, v1, k) : UnifyKeyThenValue(c, f, key, k1!, value, v1, k);

    private static bool UnifyKeyThenValue(EvalContext c, RegoValue?[] f, TNode key, RegoValue k1, TNode value, RegoValue v1, Func<bool> k) =>
        key.Unify(c, f, k1, () => value.Unify(c, f, v1, k));
}

/// <summary><c>every k, v in xs { body }</c>: true when the body holds for every element (vacuously for none).</summary>
internal sealed class EveryLiteral(TNode? key, TNode value, TNode domain, BodyNode body) : LNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k) =>
        domain.Eval(c, f, coll =>
        {
            if (coll is not (RegoArray or RegoSet or RegoObject))
            {
                return true;
            }

            var all = true;
            SomeInLiteral.Iterate(c, f, coll, key, value, () =>
            {
                var found = false;
                body.Eval(c, f, () =>
                {
                    found = true;
                    return false;
                });
                if (!found)
                {
                    all = false;
                    return false;
                }

                return true;
            });
            return !all || Continue(c, f, k);
        });
}

/// <summary>A literal with <c>with</c> modifiers.</summary>
internal sealed class WithLiteral(LNode inner, WithModifierNode[] mods) : LNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k) =>
        WithModifierNode.Run(c, f, mods, outside =>
        {
            var rest = Rest(c, f, k);
            return inner.Eval(c, f, () => outside(rest));
        });
}

internal enum WithTargetKind
{
    Input,
    Data,
    Function,
}

/// <summary>One <c>with target as value</c>.</summary>
internal sealed class WithModifierNode
{
    public WithTargetKind Kind { get; init; }

    /// <summary>The path below input or data.</summary>
    public string[] Path { get; init; } = [];

    /// <summary>The replaced function: a BuiltinDefinition or FunctionGroup.</summary>
    public object? Target { get; init; }

    public TNode? Value { get; init; }

    public BuiltinDefinition? ValueBuiltin { get; init; }

    public FunctionGroup? ValueFunction { get; init; }

    /// <summary>
    /// Applies the modifiers, runs <paramref name="body"/>, and restores. The body receives an "outside" function that
    /// runs a continuation with the modifiers lifted (the continuation belongs to the enclosing query).
    /// </summary>
    public static bool Run(EvalContext c, RegoValue?[] f, WithModifierNode[] mods, Func<Func<Func<bool>, bool>, bool> body)
    {
        var values = new RegoValue?[mods.Length];
        for (var i = 0; i < mods.Length; i++)
        {
            var m = mods[i];
            if (m.Value is not null)
            {
                RegoValue? found = null;
                m.Value.Eval(c, f, v =>
                {
                    found = v;
                    return false;
                });
                if (found is null)
                {
                    return true;
                }

                values[i] = found;
            }
        }

        var savedInput = c.Input;
        var savedCache = c.Cache;
        var savedData = c.DataOverrides;
        var savedMocks = c.Mocks;

        var input = c.Input;
        List<KeyValuePair<string[], RegoValue>>? data = c.DataOverrides;
        Dictionary<object, FunctionMock>? mocks = c.Mocks;
        for (var i = 0; i < mods.Length; i++)
        {
            var m = mods[i];
            switch (m.Kind)
            {
                case WithTargetKind.Input:
                    input = m.Path.Length == 0 ? values[i] : PathOps.SetPath(input, m.Path, 0, values[i]!);
                    break;
                case WithTargetKind.Data:
                    data = data is null ? [] : [.. data];
                    data.Add(new(m.Path, values[i]!));
                    break;
                default:
                    mocks = mocks is null ? new Dictionary<object, FunctionMock>(ReferenceEqualityComparer.Instance) : new Dictionary<object, FunctionMock>(mocks, ReferenceEqualityComparer.Instance);
                    mocks[m.Target!] = new FunctionMock { Value = m.ValueBuiltin is null && m.ValueFunction is null ? values[i] : null, Builtin = m.ValueBuiltin, Function = m.ValueFunction };
                    break;
            }
        }

        var cache = new object?[savedCache.Length];
        void Apply()
        {
            c.Input = input;
            c.Cache = cache;
            c.DataOverrides = data;
            c.Mocks = mocks;
        }

        void Restore()
        {
            c.Input = savedInput;
            c.Cache = savedCache;
            c.DataOverrides = savedData;
            c.Mocks = savedMocks;
        }

        Apply();
        try
        {
            return body(k =>
            {
                Restore();
                try
                {
                    return k();
                }
                finally
                {
                    Apply();
                }
            });
        }
        finally
        {
            Restore();
        }
    }
}

internal static class PathOps
{
    /// <summary>Returns <paramref name="target"/> with the value at <paramref name="path"/> replaced, creating objects on the way.</summary>
    public static RegoValue SetPath(RegoValue? target, string[] path, int i, RegoValue value)
    {
        if (i == path.Length)
        {
            return value;
        }

        var key = new RegoString(path[i]);
        var obj = target as RegoObject ?? RegoObject.Empty;
        obj.TryGetValue(key, out var existing);
        return obj.With(key, SetPath(existing, path, i + 1, value));
    }
}
