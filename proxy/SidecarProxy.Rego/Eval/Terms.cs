using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>
/// A compiled term. Evaluation is top-down with backtracking: <see cref="Eval"/> calls the continuation once per
/// value (zero times when undefined); continuations return false to stop the enumeration.
/// </summary>
internal abstract class TNode
{
    public Loc Loc { get; init; }

    /// <param name="simple">Whether the term is <see cref="IsSimple"/> (a field, not a virtual call: it is asked everywhere).</param>
    protected TNode(bool simple = false) => IsSimple = simple;

    /// <summary>True when the term has at most one value and binds nothing, so <see cref="Value"/> may be used.</summary>
    public bool IsSimple { get; }

    protected static bool AllSimple(TNode[] nodes) => Array.TrueForAll(nodes, n => n.IsSimple);

    public virtual bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        var v = Value(c, f);
        return v is null || k(v);
    }

    /// <summary>The single value (null = undefined). Only for <see cref="IsSimple"/> nodes.</summary>
    public virtual RegoValue? Value(EvalContext c, RegoValue?[] f) => throw new InvalidOperationException("not a simple term");

    /// <summary>Unifies the term with <paramref name="v"/>, binding unbound variables for the continuation.</summary>
    public virtual bool Unify(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k)
    {
        if (IsSimple)
        {
            var x = Value(c, f);
            return x is null || !x.Equals(v) || k();
        }

        return UnifyByEval(c, f, v, k);
    }

    // Closures live in their own methods: a lambda capturing locals costs an allocation on every call of the method
    // that declares them, even when the path using it is not taken.
    protected bool UnifyByEval(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k) => Eval(c, f, x => !x.Equals(v) || k());

    /// <summary>The first value (null when undefined) of a term that is not simple.</summary>
    public RegoValue? FirstValue(EvalContext c, RegoValue?[] f) => IsSimple ? Value(c, f) : FirstOfEval(c, f);

    private RegoValue? FirstOfEval(EvalContext c, RegoValue?[] f)
    {
        RegoValue? result = null;
        Eval(c, f, v =>
        {
            result = v;
            return false;
        });
        return result;
    }

    protected static bool AllGround(TNode[] nodes, RegoValue?[] f)
    {
        foreach (var n in nodes)
        {
            if (!n.IsGround(f))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the term can be evaluated now: every variable outside ref keys is bound (ref keys enumerate).</summary>
    public virtual bool IsGround(RegoValue?[] f) => true;
}

internal sealed class ConstNode(RegoValue value) : TNode(simple: true)
{
    public RegoValue Constant { get; } = value;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f) => Constant;

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k) => k(Constant);
}

internal sealed class VarNode(int slot, string name) : TNode(simple: true)
{
    /// <summary>The compiler proved the variable bound before the enclosing literal runs.</summary>
    public bool KnownBound { get; init; }

    public int Slot { get; } = slot;

    public string Name { get; } = name;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f) => f[Slot];

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        var v = f[Slot];
        return v is null || k(v);
    }

    public override bool Unify(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k)
    {
        var cur = f[Slot];
        if (cur is not null)
        {
            return !cur.Equals(v) || k();
        }

        Slots.Set(f, Slot, v);
        try
        {
            return k();
        }
        finally
        {
            f[Slot] = null;
        }
    }

    public override bool IsGround(RegoValue?[] f) => f[Slot] is not null;
}

internal sealed class InputNode() : TNode(simple: true)
{
    public override RegoValue? Value(EvalContext c, RegoValue?[] f) => c.Input;
}

internal sealed class ArrayNode(TNode[] items) : TNode(AllSimple(items))
{
    public TNode[] Items { get; } = items;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        if (Items.Length == 0)
        {
            return RegoArray.Empty;
        }

        var arr = new RegoValue[Items.Length];
        for (var i = 0; i < arr.Length; i++)
        {
            var v = Items[i].Value(c, f);
            if (v is null)
            {
                return null;
            }

            arr[i] = v;
        }

        return new RegoArray(arr);
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        var arr = new RegoValue[Items.Length];
        return Fill(c, f, arr, 0, k);
    }

    private bool Fill(EvalContext c, RegoValue?[] f, RegoValue[] arr, int i, Func<RegoValue, bool> k)
    {
        if (i == arr.Length)
        {
            return k(new RegoArray((RegoValue[])arr.Clone()));
        }

        return Items[i].Eval(c, f, v =>
        {
            arr[i] = v;
            return Fill(c, f, arr, i + 1, k);
        });
    }

    public override bool Unify(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k)
    {
        if (v is not RegoArray a || a.Count != Items.Length)
        {
            return true;
        }

        return UnifyFrom(c, f, a, 0, k);
    }

    private bool UnifyFrom(EvalContext c, RegoValue?[] f, RegoArray a, int i, Func<bool> k) =>
        i == Items.Length ? k() : Items[i].Unify(c, f, a[i], () => UnifyFrom(c, f, a, i + 1, k));

    public override bool IsGround(RegoValue?[] f) => AllGround(Items, f);
}

internal sealed class SetNode(TNode[] items) : TNode(AllSimple(items))
{
    public TNode[] Items => items;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        if (items.Length == 0)
        {
            return RegoSet.Empty;
        }

        var arr = new RegoValue[items.Length];
        for (var i = 0; i < arr.Length; i++)
        {
            var v = items[i].Value(c, f);
            if (v is null)
            {
                return null;
            }

            arr[i] = v;
        }

        return RegoSet.From(arr);
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        var arr = new RegoValue[items.Length];
        return Fill(c, f, arr, 0, k);
    }

    private bool Fill(EvalContext c, RegoValue?[] f, RegoValue[] arr, int i, Func<RegoValue, bool> k)
    {
        if (i == arr.Length)
        {
            return k(RegoSet.From(arr));
        }

        return items[i].Eval(c, f, v =>
        {
            arr[i] = v;
            return Fill(c, f, arr, i + 1, k);
        });
    }

    public override bool IsGround(RegoValue?[] f) => AllGround(items, f);
}

internal sealed class ObjectNode(TNode[] keys, TNode[] values) : TNode(AllSimple(keys) && AllSimple(values))
{
    public TNode[] KeyNodes => keys;

    public TNode[] ValueNodes => values;

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        if (keys.Length == 0)
        {
            return RegoObject.Empty;
        }

        if (keys.Length <= RegoObject.MaxSmall)
        {
            return SmallValue(c, f);
        }

        var map = new Dictionary<RegoValue, RegoValue>(keys.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            var k = keys[i].Value(c, f);
            var v = values[i].Value(c, f);
            if (k is null || v is null)
            {
                return null;
            }

            Put(map, k, v);
        }

        return new RegoObject(map);
    }

    /// <summary>A small object as its sorted pairs (no hash table): keys kept in order by insertion.</summary>
    private RegoObject? SmallValue(EvalContext c, RegoValue?[] f)
    {
        var pairs = new KeyValuePair<RegoValue, RegoValue>[keys.Length];
        var n = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var k = keys[i].Value(c, f);
            var v = values[i].Value(c, f);
            if (k is null || v is null)
            {
                return null;
            }

            // Find the key's place; a key given twice must have the same value.
            var at = n;
            while (at > 0)
            {
                var cmp = pairs[at - 1].Key.CompareTo(k);
                if (cmp == 0)
                {
                    if (!pairs[at - 1].Value.Equals(v))
                    {
                        throw Errors.Conflict(Loc, "object keys must be unique");
                    }

                    at = -1;
                    break;
                }

                if (cmp < 0)
                {
                    break;
                }

                at--;
            }

            if (at < 0)
            {
                continue;
            }

            Array.Copy(pairs, at, pairs, at + 1, n - at);
            pairs[at] = new(k, v);
            n++;
        }

        return RegoObject.FromSortedPairs(n == pairs.Length ? pairs : pairs[..n]);
    }

    private void Put(Dictionary<RegoValue, RegoValue> map, RegoValue k, RegoValue v)
    {
        if (map.TryGetValue(k, out var existing) && !existing.Equals(v))
        {
            throw Errors.Conflict(Loc, "object keys must be unique");
        }

        map[k] = v;
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        var ks = new RegoValue[keys.Length];
        var vs = new RegoValue[keys.Length];
        return Fill(c, f, ks, vs, 0, k);
    }

    private bool Fill(EvalContext c, RegoValue?[] f, RegoValue[] ks, RegoValue[] vs, int i, Func<RegoValue, bool> k)
    {
        if (i == ks.Length)
        {
            var map = new Dictionary<RegoValue, RegoValue>(ks.Length);
            for (var j = 0; j < ks.Length; j++)
            {
                Put(map, ks[j], vs[j]);
            }

            return k(new RegoObject(map));
        }

        return keys[i].Eval(c, f, kv => values[i].Eval(c, f, vv =>
        {
            ks[i] = kv;
            vs[i] = vv;
            return Fill(c, f, ks, vs, i + 1, k);
        }));
    }

    public override bool Unify(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k)
    {
        if (v is not RegoObject o || o.Count != keys.Length)
        {
            return true;
        }

        return UnifyFrom(c, f, o, 0, k);
    }

    private bool UnifyFrom(EvalContext c, RegoValue?[] f, RegoObject o, int i, Func<bool> k)
    {
        if (i == keys.Length)
        {
            return k();
        }

        return keys[i].Eval(c, f, kv => !o.TryGetValue(kv, out var vv) || values[i].Unify(c, f, vv, () => UnifyFrom(c, f, o, i + 1, k)));
    }

    public override bool IsGround(RegoValue?[] f) => AllGround(keys, f) && AllGround(values, f);
}

/// <summary>A reference into a value: <c>x.y[z]</c>. Keys that are unbound variables (or patterns) enumerate.</summary>
internal sealed class RefNode : TNode
{
    public RefNode(TNode head, TNode[] keys)
        : base(SimpleRef(head, keys))
    {
        Head = head;
        Keys = keys;
    }

    public TNode Head { get; }

    public TNode[] Keys { get; }

    private static bool SimpleRef(TNode head, TNode[] keys) => head.IsSimple && Array.TrueForAll(keys, k => k.IsSimple && (k is not VarNode v || v.KnownBound));

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        var v = Head.Value(c, f);
        for (var i = 0; i < Keys.Length && v is not null; i++)
        {
            var key = Keys[i].Value(c, f);
            if (key is null)
            {
                return null;
            }

            v = Index(v, key);
        }

        return v;
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        return EvalWalk(c, f, k);
    }

    private bool EvalWalk(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k) => Head.Eval(c, f, hv => WalkValue(c, f, hv, Keys, 0, k));

    public static RegoValue? Index(RegoValue v, RegoValue key)
    {
        switch (v)
        {
            case RegoObject o:
                return o.TryGetValue(key, out var r) ? r : null;
            case RegoArray a:
                if (key is RegoNumber n && n.TryGetInt32(out var idx) && idx >= 0 && idx < a.Count)
                {
                    return a[idx];
                }

                return null;
            case RegoSet s:
                return s.Contains(key) ? key : null;
            default:
                return null;
        }
    }

    /// <summary>Applies <paramref name="keys"/> from <paramref name="i"/> to a plain value.</summary>
    public static bool WalkValue(EvalContext c, RegoValue?[] f, RegoValue v, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        while (true)
        {
            if (i == keys.Length)
            {
                return k(v);
            }

            var key = keys[i];
            RegoValue? kv = null;
            if (key is VarNode vn)
            {
                kv = f[vn.Slot];
            }
            else if (key.IsSimple)
            {
                kv = key.Value(c, f);
                if (kv is null)
                {
                    return true;
                }
            }
            else if (key.IsGround(f))
            {
                return WalkEvaluatedKey(c, f, v, keys, i, k);
            }

            if (kv is not null)
            {
                var r = Index(v, kv);
                if (r is null)
                {
                    return true;
                }

                v = r;
                i++;
                continue;
            }

            return Enumerate(c, f, v, keys, i, k);
        }
    }

    private static bool WalkEvaluatedKey(EvalContext c, RegoValue?[] f, RegoValue v, TNode[] keys, int i, Func<RegoValue, bool> k) =>
        keys[i].Eval(c, f, kv => Index(v, kv) is not { } r || WalkValue(c, f, r, keys, i + 1, k));

    private static bool Enumerate(EvalContext c, RegoValue?[] f, RegoValue v, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        var key = keys[i];
        switch (v)
        {
            case RegoObject o:
                foreach (var (ek, ev) in o.Entries)
                {
                    if (!key.Unify(c, f, ek, () => WalkValue(c, f, ev, keys, i + 1, k)))
                    {
                        return false;
                    }
                }

                return true;
            case RegoArray a:
                for (var j = 0; j < a.Count; j++)
                {
                    var item = a[j];
                    if (!key.Unify(c, f, RegoNumber.FromLong(j), () => WalkValue(c, f, item, keys, i + 1, k)))
                    {
                        return false;
                    }
                }

                return true;
            case RegoSet s:
                foreach (var item in s.Items)
                {
                    if (!key.Unify(c, f, item, () => WalkValue(c, f, item, keys, i + 1, k)))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    public override bool IsGround(RegoValue?[] f) => Head.IsGround(f);
}

internal enum ComprehensionKindNode
{
    Array,
    Set,
    Object,
}

internal sealed class ComprehensionNode(ComprehensionKindNode kind, TNode head, TNode? value, BodyNode body) : TNode(simple: true)
{
    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        switch (kind)
        {
            case ComprehensionKindNode.Array:
                {
                    var list = Collect(c, f);
                    return list.Count == 0 ? RegoArray.Empty : new RegoArray(list.ToArray());
                }

            case ComprehensionKindNode.Set:
                return RegoSet.From(Collect(c, f));
            default:
                return CollectObject(c, f);
        }
    }

    private List<RegoValue> Collect(EvalContext c, RegoValue?[] f)
    {
        var list = new List<RegoValue>();
        body.Solve(c, f, 0, new CollectingSink(head, list));
        return list;
    }

    private RegoObject CollectObject(EvalContext c, RegoValue?[] f)
    {
        var map = new Dictionary<RegoValue, RegoValue>();
        body.Eval(c, f, () => head.Eval(c, f, kv => value!.Eval(c, f, vv =>
        {
            if (map.TryGetValue(kv, out var existing) && !existing.Equals(vv))
            {
                throw Errors.Conflict(Loc, "object keys must be unique");
            }

            map[kv] = vv;
            return true;
        })));
        return new RegoObject(map);
    }
}

/// <summary>A template string <c>$"...{expr}..."</c>: undefined parts print as &lt;undefined&gt;.</summary>
internal sealed class TemplateNode(object[] parts) : TNode(simple: true)
{
    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var p in parts)
        {
            if (p is string s)
            {
                sb.Append(s);
                continue;
            }

            var found = ((TNode)p).FirstValue(c, f);
            if (found is null)
            {
                sb.Append("<undefined>");
            }
            else if (found is RegoString str)
            {
                sb.Append(str.Value);
            }
            else
            {
                found.WriteRego(sb);
            }
        }

        return new RegoString(sb.ToString());
    }
}

/// <summary>Evaluates an inner term under <c>with</c> modifiers (template expressions with <c>with</c>).</summary>
internal sealed class WithTermNode(TNode inner, WithModifierNode[] mods) : TNode
{
    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k) =>
        WithModifierNode.Run(c, f, mods, outside => inner.Eval(c, f, v => outside(() => k(v))));
}

internal static class Errors
{
    public static RegoEvaluationException Conflict(Loc loc, string message) => Make("eval_conflict_error", loc, message);

    public static RegoEvaluationException Make(string code, Loc loc, string message) =>
        new(code, loc.File is null ? $"{code}: {message}" : $"{loc.File}:{loc.Line}: {code}: {message}");
}
