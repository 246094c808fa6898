using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>The compiled policy: the data tree (packages, rules, functions) over the base documents.</summary>
internal sealed class PolicyModel
{
    public required DataNode Root { get; init; }

    public required RegoValue BaseData { get; init; }

    public int GroupCount { get; set; }
}

/// <summary>A node of the <c>data</c> tree: a package or rule path, possibly with base data at the same path.</summary>
internal sealed class DataNode(string[] path)
{
    public string[] Path { get; } = path;

    public SortedDictionary<string, DataNode> Children { get; } = new(StringComparer.Ordinal);

    public RuleGroup? Rules { get; set; }

    public FunctionGroup? Function { get; set; }

    /// <summary>Base data at this path (null when none).</summary>
    public RegoValue? Base { get; set; }

    public string Name => Path.Length == 0 ? "data" : "data." + string.Join('.', Path);

    public DataNode Child(string name)
    {
        if (!Children.TryGetValue(name, out var child))
        {
            child = new DataNode([.. Path, name]);
            Children[name] = child;
        }

        return child;
    }

    /// <summary>Whether the node is only a function (not a document).</summary>
    public bool IsFunctionOnly => Function is not null && Rules is null && Children.Count == 0;

    public IEnumerable<RuleGroup> AllGroups()
    {
        if (Rules is not null)
        {
            yield return Rules;
        }

        foreach (var child in Children.Values)
        {
            foreach (var g in child.AllGroups())
            {
                yield return g;
            }
        }
    }
}

internal sealed class CompiledBranch(BodyNode body, TNode value, bool constantValue, Loc loc)
{
    public BodyNode Body { get; } = body;

    public TNode Value { get; } = value;

    /// <summary>The value is constant: one solution of the body is enough.</summary>
    public bool ConstantValue { get; } = constantValue;

    public Loc Loc { get; } = loc;
}

internal sealed class CompiledRule
{
    public required Loc Loc { get; init; }

    public int Slots { get; set; }

    /// <summary>Argument patterns (functions).</summary>
    public TNode[]? Args { get; set; }

    /// <summary>The head keys after the group's path (partial objects, ref heads) or the element (partial sets).</summary>
    public TNode[]? Keys { get; set; }

    public List<CompiledBranch> Branches { get; } = [];

    /// <summary>A multi-value rule under a ref with variables (<c>a[x] contains y</c>): the leaf is a set.</summary>
    public bool MultiValue { get; set; }
}

internal enum GroupKind
{
    Complete,
    Set,
    Object,
}

/// <summary>All rules defining one document (<c>data.pkg.p</c>).</summary>
internal sealed class RuleGroup
{
    public required int Id { get; init; }

    public required string Name { get; init; }

    public required GroupKind Kind { get; init; }

    public required Loc Loc { get; init; }

    public List<CompiledRule> Rules { get; } = [];

    public CompiledRule? Default { get; set; }

    public RegoValue? Value(EvalContext c)
    {
        var cached = c.Cache[Id];
        if (cached is RegoValue v)
        {
            return v;
        }

        if (ReferenceEquals(cached, EvalContext.Undefined))
        {
            return null;
        }

        if (ReferenceEquals(cached, EvalContext.InProgress))
        {
            throw Errors.Make("rego_recursion_error", Loc, $"rule {Name} is recursive");
        }

        // A step per rule evaluated: rules depending on rules nest, and the step also checks the stack depth.
        c.Step();
        c.Cache[Id] = EvalContext.InProgress;
        var cache = c.Cache;
        RegoValue? result = null;
        var done = false;
        try
        {
            result = Kind switch
            {
                GroupKind.Complete => EvalComplete(c),
                GroupKind.Set => EvalSet(c),
                _ => EvalObject(c),
            };
            done = true;
        }
        finally
        {
            // Not catch-and-rethrow: a rethrow per nested rule would pile up exception frames on a stack that is
            // already nearly full when the error is "evaluation too deep".
            cache[Id] = done ? (object?)result ?? EvalContext.Undefined : null;
        }

        return result;
    }

    private RegoValue? EvalComplete(EvalContext c)
    {
        RegoValue? result = null;
        foreach (var rule in Rules)
        {
            var f = c.Rent(rule.Slots);
            foreach (var br in rule.Branches)
            {
                if (Branches.Eval(c, f, br, ref result, "complete rules must not produce multiple outputs"))
                {
                    break;
                }
            }

            c.Return(f);
        }

        if (result is null && Default is not null)
        {
            result = Branches.DefaultValue(c, Default);
        }

        return result;
    }

    private RegoSet EvalSet(EvalContext c)
    {
        // Made on the first element: many sets (deny reasons) are empty on most evaluations.
        List<RegoValue>? items = null;
        foreach (var rule in Rules)
        {
            var f = c.Rent(rule.Slots);
            var key = rule.Keys![0];
            foreach (var br in rule.Branches)
            {
                Collect(c, f, br.Body, key, ref items);
            }

            c.Return(f);
        }

        return items is null ? RegoSet.Empty : RegoSet.From(items);
    }

    private static void Collect(EvalContext c, RegoValue?[] f, BodyNode body, TNode key, ref List<RegoValue>? items)
    {
        var mark = c.TrailMark;
        try
        {
            var r = body.Once(c, f, out var at);
            if (r == OnceResult.Fail)
            {
                return;
            }

            if (r == OnceResult.Ok && key.IsSimple)
            {
                if (key.Value(c, f) is { } v)
                {
                    (items ??= []).Add(v);
                }

                return;
            }

            body.Solve(c, f, at, new CollectingSink(key, items ??= []));
        }
        finally
        {
            c.Undo(f, mark);
        }
    }

    private RegoObject EvalObject(EvalContext c)
    {
        var root = new Dictionary<RegoValue, object>();
        foreach (var rule in Rules)
        {
            var f = new RegoValue?[rule.Slots];
            var keys = rule.Keys!;
            foreach (var br in rule.Branches)
            {
                var multi = rule.MultiValue;
                br.Body.Eval(c, f, () => EvalKeys(c, f, keys, 0, new RegoValue[keys.Length], ks => br.Value.Eval(c, f, v =>
                {
                    if (multi)
                    {
                        InsertElement(root, ks, v, br.Loc);
                    }
                    else
                    {
                        Insert(root, ks, v, br.Loc);
                    }

                    return true;
                })));
            }
        }

        return Build(root);
    }

    private static bool EvalKeys(EvalContext c, RegoValue?[] f, TNode[] keys, int i, RegoValue[] acc, Func<RegoValue[], bool> k)
    {
        if (i == keys.Length)
        {
            return k(acc);
        }

        return keys[i].Eval(c, f, v =>
        {
            acc[i] = v;
            return EvalKeys(c, f, keys, i + 1, acc, k);
        });
    }

    private static void Insert(Dictionary<RegoValue, object> node, RegoValue[] keys, RegoValue value, Loc loc)
    {
        for (var i = 0; i < keys.Length - 1; i++)
        {
            if (!node.TryGetValue(keys[i], out var next))
            {
                next = new Dictionary<RegoValue, object>();
                node[keys[i]] = next;
            }

            if (next is not Dictionary<RegoValue, object> nested)
            {
                throw Errors.Conflict(loc, "object keys must be unique");
            }

            node = nested;
        }

        var last = keys[^1];
        if (node.TryGetValue(last, out var existing))
        {
            if (existing is RegoValue ev && ev.Equals(value))
            {
                return;
            }

            throw Errors.Conflict(loc, "object keys must be unique");
        }

        node[last] = value;
    }

    private sealed class SetLeaf
    {
        public List<RegoValue> Items { get; } = [];
    }

    private static void InsertElement(Dictionary<RegoValue, object> node, RegoValue[] keys, RegoValue element, Loc loc)
    {
        for (var i = 0; i < keys.Length - 1; i++)
        {
            if (!node.TryGetValue(keys[i], out var next))
            {
                next = new Dictionary<RegoValue, object>();
                node[keys[i]] = next;
            }

            node = next as Dictionary<RegoValue, object> ?? throw Errors.Conflict(loc, "object keys must be unique");
        }

        var last = keys[^1];
        if (!node.TryGetValue(last, out var leaf))
        {
            leaf = new SetLeaf();
            node[last] = leaf;
        }

        if (leaf is not SetLeaf set)
        {
            throw Errors.Conflict(loc, "object keys must be unique");
        }

        set.Items.Add(element);
    }

    private static RegoObject Build(Dictionary<RegoValue, object> node)
    {
        var map = new Dictionary<RegoValue, RegoValue>(node.Count);
        foreach (var (k, v) in node)
        {
            map[k] = v switch
            {
                RegoValue rv => rv,
                SetLeaf leaf => RegoSet.From(leaf.Items),
                _ => Build((Dictionary<RegoValue, object>)v),
            };
        }

        return new RegoObject(map);
    }
}

/// <summary>All definitions of one function.</summary>
internal sealed class FunctionGroup
{
    public required string Name { get; init; }

    public required int Arity { get; init; }

    public List<CompiledRule> Rules { get; } = [];

    public CompiledRule? Default { get; set; }

    public RegoValue? Call(EvalContext c, RegoValue[] argv, Loc loc)
    {
        c.Step();
        RegoValue? result = null;
        foreach (var rule in Rules)
        {
            var f = c.Rent(rule.Slots);
            CallRule(c, f, rule, argv, ref result);
            c.Return(f);
        }

        if (result is null && Default is not null)
        {
            result = Branches.DefaultValue(c, Default);
        }

        return result;
    }

    private static void CallRule(EvalContext c, RegoValue?[] f, CompiledRule rule, RegoValue[] argv, ref RegoValue? result)
    {
        var mark = c.TrailMark;
        try
        {
            var bound = BindArgs(c, f, rule.Args!, argv);
            if (bound == OnceResult.Fail)
            {
                return;
            }

            if (bound == OnceResult.Unsupported)
            {
                c.Undo(f, mark);
                result = CallWithPatterns(c, f, rule, argv, result);
                return;
            }

            foreach (var br in rule.Branches)
            {
                if (Branches.Eval(c, f, br, ref result, Conflict))
                {
                    return;
                }
            }
        }
        finally
        {
            c.Undo(f, mark);
        }
    }

    private const string Conflict = "functions must not produce multiple outputs for same inputs";

    /// <summary>Binds arguments to parameters that are variables or constants; other patterns need unification.</summary>
    private static OnceResult BindArgs(EvalContext c, RegoValue?[] f, TNode[] patterns, RegoValue[] argv)
    {
        for (var i = 0; i < argv.Length; i++)
        {
            switch (patterns[i])
            {
                case VarNode vn:
                    var cur = f[vn.Slot];
                    if (cur is null)
                    {
                        c.Bind(f, vn.Slot, argv[i]);
                    }
                    else if (!cur.Equals(argv[i]))
                    {
                        return OnceResult.Fail;
                    }

                    break;
                case ConstNode cn:
                    if (!cn.Constant.Equals(argv[i]))
                    {
                        return OnceResult.Fail;
                    }

                    break;
                default:
                    return OnceResult.Unsupported;
            }
        }

        return OnceResult.Ok;
    }

    private static RegoValue? CallWithPatterns(EvalContext c, RegoValue?[] f, CompiledRule rule, RegoValue[] argv, RegoValue? result)
    {
        UnifyArgs(c, f, rule, argv, 0, () =>
        {
            foreach (var br in rule.Branches)
            {
                if (Branches.Eval(c, f, br, ref result, Conflict))
                {
                    break;
                }
            }

            return true;
        });
        return result;
    }

    private static bool UnifyArgs(EvalContext c, RegoValue?[] f, CompiledRule rule, RegoValue[] argv, int i, Func<bool> k) =>
        i == argv.Length ? k() : rule.Args![i].Unify(c, f, argv[i], () => UnifyArgs(c, f, rule, argv, i + 1, k));
}

/// <summary>Evaluation of rule branches (body, then value) shared by complete rules and functions.</summary>
internal static class Branches
{
    /// <summary>
    /// Evaluates a branch and merges its value into <paramref name="result"/> (a different second value is a
    /// conflict). Returns whether the branch produced a value, so that its <c>else</c> branches are skipped.
    /// </summary>
    public static bool Eval(EvalContext c, RegoValue?[] f, CompiledBranch br, ref RegoValue? result, string conflict)
    {
        var mark = c.TrailMark;
        try
        {
            // A body whose literals each have at most one solution runs without continuations.
            var r = br.Body.Once(c, f, out var at);
            if (r == OnceResult.Fail)
            {
                return false;
            }

            if (r == OnceResult.Ok && br.Value.IsSimple)
            {
                var v = br.Value.Value(c, f);
                if (v is null)
                {
                    return false;
                }

                Merge(ref result, v, br, conflict);
                return true;
            }

            return EvalFrom(c, f, br, at, ref result, conflict);
        }
        finally
        {
            c.Undo(f, mark);
        }
    }

    private static bool EvalFrom(EvalContext c, RegoValue?[] f, CompiledBranch br, int at, ref RegoValue? result, string conflict)
    {
        var acc = result;
        var found = false;
        if (br.Value.IsSimple)
        {
            br.Body.EvalFrom(at, c, f, () =>
            {
                var v = br.Value.Value(c, f);
                if (v is null)
                {
                    return true;
                }

                found = true;
                Merge(ref acc, v, br, conflict);
                return !br.ConstantValue;
            });
        }
        else
        {
            br.Body.EvalFrom(at, c, f, () => br.Value.Eval(c, f, v =>
            {
                found = true;
                Merge(ref acc, v, br, conflict);
                return !br.ConstantValue;
            }));
        }

        result = acc;
        return found;
    }

    private static void Merge(ref RegoValue? result, RegoValue v, CompiledBranch br, string conflict)
    {
        if (result is null)
        {
            result = v;
        }
        else if (!result.Equals(v))
        {
            throw Errors.Conflict(br.Loc, conflict);
        }
    }

    public static RegoValue? DefaultValue(EvalContext c, CompiledRule rule)
    {
        var f = c.Rent(rule.Slots);
        var v = rule.Branches[0].Value.FirstValue(c, f);
        c.Return(f);
        return v;
    }
}

/// <summary>Adds every value of a term, per solution of a body, to a list (partial sets, comprehensions).</summary>
internal sealed class CollectingSink(TNode term, List<RegoValue> items) : SolutionSink
{
    private Func<RegoValue, bool>? _add;

    public override bool OnSolution(EvalContext c, RegoValue?[] f)
    {
        if (term.IsSimple)
        {
            if (term.Value(c, f) is { } v)
            {
                items.Add(v);
            }

            return true;
        }

        return term.Eval(c, f, _add ??= v =>
        {
            items.Add(v);
            return true;
        });
    }
}
