using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>Helpers shared by call nodes: argument evaluation and builtin invocation with OPA's error rules.</summary>
internal abstract class CallNodeBase(TNode[] args, bool singleValued) : TNode(singleValued && AllSimple(args))
{
    private readonly bool _simpleArgs = Array.TrueForAll(args, a => a.IsSimple);

    // A call with simple arguments to a function (not a relation) has at most one value: callers then ask for it
    // directly instead of passing a continuation, which saves a delegate per call.

    protected TNode[] Args { get; } = args;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        var argv = SimpleArgs(c, f);
        if (argv is null)
        {
            return null;
        }

        // Builtins and functions only read their argument array (BuiltinFunction's contract): it is recycled.
        var result = InvokeValue(c, argv);
        c.Return(argv);
        return result;
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (_simpleArgs)
        {
            var argv = SimpleArgs(c, f);
            if (argv is null)
            {
                return true;
            }

            var more = Invoke(c, argv, k);
            c.Return(argv);
            return more;
        }

        return FillArgs(c, f, new RegoValue[Args.Length], 0, k);
    }

    private RegoValue[]? SimpleArgs(EvalContext c, RegoValue?[] f)
    {
        var argv = c.Rent(Args.Length);
        for (var i = 0; i < argv.Length; i++)
        {
            var v = Args[i].Value(c, f);
            if (v is null)
            {
                c.Return(argv);
                return null;
            }

            Slots.Set(argv, i, v);
        }

        return argv!;
    }

    /// <summary>The single value of the call (null = undefined); only for calls to functions, not relations.</summary>
    protected abstract RegoValue? InvokeValue(EvalContext c, RegoValue[] argv);

    /// <summary>
    /// The value of a call that a <c>with</c> replaced. A replacement that is a relation may yield several values,
    /// which a single-valued call cannot represent: that is reported as a conflict, as for a function with two outputs.
    /// </summary>
    protected RegoValue? MockValue(EvalContext c, FunctionMock mock, RegoValue[] argv)
    {
        RegoValue? result = null;
        CallMock(c, mock, argv, Loc, v =>
        {
            if (result is not null && !result.Equals(v))
            {
                throw Errors.Conflict(Loc, "functions must not produce multiple outputs for same inputs");
            }

            result = v;
            return true;
        });
        return result;
    }

    private bool FillArgs(EvalContext c, RegoValue?[] f, RegoValue[] argv, int i, Func<RegoValue, bool> k)
    {
        if (i == argv.Length)
        {
            return Invoke(c, (RegoValue[])argv.Clone(), k);
        }

        return Args[i].Eval(c, f, v =>
        {
            Slots.Set(argv, i, v);
            return FillArgs(c, f, argv, i + 1, k);
        });
    }

    protected abstract bool Invoke(EvalContext c, RegoValue[] argv, Func<RegoValue, bool> k);

    /// <summary>Calls a builtin; builtin errors make the call undefined unless strict.</summary>
    public static bool CallBuiltin(EvalContext c, BuiltinDefinition def, RegoValue[] argv, Ast.Loc loc, Func<RegoValue, bool> k)
    {
        if (def.Relation is not null)
        {
            List<RegoValue> results;
            try
            {
                results = [.. def.Relation(c.Builtins, argv)];
            }
            catch (Exception ex) when (IsBuiltinFailure(ex))
            {
                return HandleBuiltinError(c, def, ex, loc);
            }

            foreach (var r in results)
            {
                if (!k(r))
                {
                    return false;
                }
            }

            return true;
        }

        var result = CallFunction(c, def, argv, loc);
        return result is null || k(result);
    }

    /// <summary>Calls a builtin function (not a relation); null when undefined, including a non-strict builtin error.</summary>
    public static RegoValue? CallFunction(EvalContext c, BuiltinDefinition def, RegoValue[] argv, Ast.Loc loc)
    {
        try
        {
            return def.Function!(c.Builtins, argv);
        }
        catch (Exception ex) when (IsBuiltinFailure(ex))
        {
            HandleBuiltinError(c, def, ex, loc);
            return null;
        }
    }

    private static bool IsBuiltinFailure(Exception ex) =>
        ex is not RegoEvaluationException and not OperationCanceledException and not OutOfMemoryException and not StackOverflowException and not InsufficientExecutionStackException;

    private static bool HandleBuiltinError(EvalContext c, BuiltinDefinition def, Exception ex, Ast.Loc loc)
    {
        if (!c.Strict)
        {
            return true;
        }

        var code = ex is BuiltinTypeException ? "eval_type_error" : "eval_builtin_error";
        var msg = ex is BuiltinErrorException ? ex.Message : ex.Message;
        throw Errors.Make(code, loc, $"{def.Name}: {msg}");
    }

    /// <summary>Calls whatever a <c>with</c> put in place of a function.</summary>
    public static bool CallMock(EvalContext c, FunctionMock mock, RegoValue[] argv, Ast.Loc loc, Func<RegoValue, bool> k)
    {
        if (mock.Value is not null)
        {
            return k(mock.Value);
        }

        // As in OPA, a replacement runs with no replacements in force (it may call the original it replaces).
        var saved = c.Mocks!;
        RegoValue? result = null;
        var found = false;
        c.Mocks = null;
        var savedCache = c.Cache;
        c.Cache = new object?[savedCache.Length];
        try
        {
            if (mock.Builtin is not null)
            {
                var results = new List<RegoValue>();
                CallBuiltin(c, mock.Builtin, argv, loc, v =>
                {
                    results.Add(v);
                    return true;
                });
                c.Mocks = saved;
                c.Cache = savedCache;
                foreach (var v in results)
                {
                    if (!k(v))
                    {
                        return false;
                    }
                }

                return true;
            }

            result = mock.Function!.Call(c, argv, loc);
            found = true;
        }
        finally
        {
            c.Mocks = saved;
            c.Cache = savedCache;
        }

        return !found || result is null || k(result);
    }
}

internal sealed class BuiltinCallNode(BuiltinDefinition def, TNode[] args) : CallNodeBase(args, def.Relation is null)
{
    protected override RegoValue? InvokeValue(EvalContext c, RegoValue[] argv)
    {
        if (c.Mocks is not null && c.Mocks.TryGetValue(def, out var mock))
        {
            return MockValue(c, mock, argv);
        }

        return CallFunction(c, def, argv, Loc);
    }

    protected override bool Invoke(EvalContext c, RegoValue[] argv, Func<RegoValue, bool> k)
    {
        if (c.Mocks is not null && c.Mocks.TryGetValue(def, out var mock))
        {
            return CallMock(c, mock, argv, Loc, k);
        }

        return CallBuiltin(c, def, argv, Loc, k);
    }
}

internal sealed class FunctionCallNode(FunctionGroup group, TNode[] args) : CallNodeBase(args, singleValued: true)
{
    protected override RegoValue? InvokeValue(EvalContext c, RegoValue[] argv)
    {
        if (c.Mocks is not null && c.Mocks.TryGetValue(group, out var mock))
        {
            return MockValue(c, mock, argv);
        }

        return group.Call(c, argv, Loc);
    }

    protected override bool Invoke(EvalContext c, RegoValue[] argv, Func<RegoValue, bool> k)
    {
        if (c.Mocks is not null && c.Mocks.TryGetValue(group, out var mock))
        {
            return CallMock(c, mock, argv, Loc, k);
        }

        var r = group.Call(c, argv, Loc);
        return r is null || k(r);
    }
}

/// <summary><c>print(...)</c>: writes its arguments (undefined ones as &lt;undefined&gt;) and always succeeds.</summary>
internal sealed class PrintNode(TNode[] args) : TNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (c.Print is not null)
        {
            var parts = new List<string>();
            foreach (var a in args)
            {
                RegoValue? found = null;
                a.Eval(c, f, v =>
                {
                    found = v;
                    return false;
                });
                parts.Add(found is null ? "<undefined>" : found is RegoString s ? s.Value : found.ToString());
            }

            c.Print.WriteLine(string.Join(' ', parts));
        }

        return k(RegoBoolean.True);
    }
}

/// <summary>
/// A comparison operator (==, !=, &lt;, &lt;=, &gt;, &gt;=) evaluated without a builtin call; falls back to the
/// builtin when a <c>with</c> replaces it.
/// </summary>
internal sealed class CompareNode(BuiltinDefinition def, TNode left, TNode right) : TNode(left.IsSimple && right.IsSimple)
{
    private readonly BuiltinCallNode _fallback = new(def, [left, right]);
    private readonly CompareOp _op = def.Name switch
    {
        "equal" => CompareOp.Equal,
        "neq" => CompareOp.NotEqual,
        "lt" => CompareOp.Less,
        "lte" => CompareOp.LessOrEqual,
        "gt" => CompareOp.Greater,
        _ => CompareOp.GreaterOrEqual,
    };

    private enum CompareOp
    {
        Equal,
        NotEqual,
        Less,
        LessOrEqual,
        Greater,
        GreaterOrEqual,
    }

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        if (c.Mocks is not null)
        {
            return _fallback.FirstValue(c, f);
        }

        var a = left.Value(c, f);
        if (a is null)
        {
            return null;
        }

        var b = right.Value(c, f);
        return b is null ? null : RegoBoolean.From(Compare(a, b));
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        return _fallback.Eval(c, f, k);
    }

    private bool Compare(RegoValue a, RegoValue b) => _op switch
    {
        CompareOp.Equal => a.Equals(b),
        CompareOp.NotEqual => !a.Equals(b),
        CompareOp.Less => a.CompareTo(b) < 0,
        CompareOp.LessOrEqual => a.CompareTo(b) <= 0,
        CompareOp.Greater => a.CompareTo(b) > 0,
        _ => a.CompareTo(b) >= 0,
    };
}
