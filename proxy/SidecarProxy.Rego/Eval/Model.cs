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

        c.Cache[Id] = EvalContext.InProgress;
        var cache = c.Cache;
        RegoValue? result;
        try
        {
            result = Kind switch
            {
                GroupKind.Complete => EvalComplete(c),
                GroupKind.Set => EvalSet(c),
                _ => EvalObject(c),
            };
        }
        catch
        {
            cache[Id] = null;
            throw;
        }

        cache[Id] = (object?)result ?? EvalContext.Undefined;
        return result;
    }

    private RegoValue? EvalComplete(EvalContext c)
    {
        RegoValue? result = null;
        foreach (var rule in Rules)
        {
            var f = new RegoValue?[rule.Slots];
            foreach (var br in rule.Branches)
            {
                var found = false;
                if (br.Value.IsSimple)
                {
                    br.Body.Eval(c, f, () =>
                    {
                        var v = br.Value.Value(c, f);
                        if (v is null)
                        {
                            return true;
                        }

                        found = true;
                        if (result is null)
                        {
                            result = v;
                        }
                        else if (!result.Equals(v))
                        {
                            throw Errors.Conflict(br.Loc, "complete rules must not produce multiple outputs");
                        }

                        return !br.ConstantValue;
                    });
                }
                else
                {
                    br.Body.Eval(c, f, () => br.Value.Eval(c, f, v =>
                    {
                        found = true;
                        if (result is null)
                        {
                            result = v;
                        }
                        else if (!result.Equals(v))
                        {
                            throw Errors.Conflict(br.Loc, "complete rules must not produce multiple outputs");
                        }

                        return !br.ConstantValue;
                    }));
                }

                if (found)
                {
                    break;
                }
            }
        }

        if (result is null && Default is not null)
        {
            var f = new RegoValue?[Default.Slots];
            Default.Branches[0].Value.Eval(c, f, v =>
            {
                result = v;
                return false;
            });
        }

        return result;
    }

    private RegoValue EvalSet(EvalContext c)
    {
        var items = new List<RegoValue>();
        foreach (var rule in Rules)
        {
            var f = new RegoValue?[rule.Slots];
            var key = rule.Keys![0];
            foreach (var br in rule.Branches)
            {
                br.Body.Eval(c, f, () => key.Eval(c, f, v =>
                {
                    items.Add(v);
                    return true;
                }));
            }
        }

        return RegoSet.From(items);
    }

    private RegoValue EvalObject(EvalContext c)
    {
        var root = new Dictionary<RegoValue, object>();
        foreach (var rule in Rules)
        {
            var f = new RegoValue?[rule.Slots];
            var keys = rule.Keys!;
            foreach (var br in rule.Branches)
            {
                br.Body.Eval(c, f, () => EvalKeys(c, f, keys, 0, new RegoValue[keys.Length], ks => br.Value.Eval(c, f, v =>
                {
                    Insert(root, ks, v, br.Loc);
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

    private static RegoObject Build(Dictionary<RegoValue, object> node)
    {
        var map = new Dictionary<RegoValue, RegoValue>(node.Count);
        foreach (var (k, v) in node)
        {
            map[k] = v as RegoValue ?? Build((Dictionary<RegoValue, object>)v);
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
            var f = new RegoValue?[rule.Slots];
            UnifyArgs(c, f, rule, argv, 0, () =>
            {
                foreach (var br in rule.Branches)
                {
                    var found = false;
                    br.Body.Eval(c, f, () => br.Value.Eval(c, f, v =>
                    {
                        found = true;
                        if (result is null)
                        {
                            result = v;
                        }
                        else if (!result.Equals(v))
                        {
                            throw Errors.Conflict(br.Loc, "functions must not produce multiple outputs for same inputs");
                        }

                        return !br.ConstantValue;
                    }));
                    if (found)
                    {
                        break;
                    }
                }

                return true;
            });
        }

        if (result is null && Default is not null)
        {
            var f = new RegoValue?[Default.Slots];
            Default.Branches[0].Value.Eval(c, f, v =>
            {
                result = v;
                return false;
            });
        }

        return result;
    }

    private static bool UnifyArgs(EvalContext c, RegoValue?[] f, CompiledRule rule, RegoValue[] argv, int i, Func<bool> k) =>
        i == argv.Length ? k() : rule.Args![i].Unify(c, f, argv[i], () => UnifyArgs(c, f, rule, argv, i + 1, k));
}
