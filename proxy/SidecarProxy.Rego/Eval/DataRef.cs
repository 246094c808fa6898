using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>
/// A reference under <c>data</c>. The static prefix is resolved at compile time to a tree node (fast path);
/// while a <c>with data...</c> is in force the reference is walked from the root, honouring the replacements.
/// </summary>
internal sealed class DataRefNode : TNode
{
    private readonly DataNode _root;
    private readonly DataNode? _start;
    private readonly int _startIndex;
    private readonly RegoValue? _startValue;
    private readonly TNode[] _keys;

    /// <param name="root">The data root.</param>
    /// <param name="keys">All keys after <c>data</c>.</param>
    /// <param name="start">The deepest tree node the static prefix reaches (null when the prefix leaves the tree).</param>
    /// <param name="startIndex">Keys consumed to reach <paramref name="start"/> (or the base value).</param>
    /// <param name="startValue">The base value reached when the prefix leaves the tree.</param>
    public DataRefNode(DataNode root, TNode[] keys, DataNode? start, int startIndex, RegoValue? startValue)
        : base(Array.TrueForAll(keys, k => k.IsSimple && (k is not VarNode v || v.KnownBound)))
    {
        _root = root;
        _keys = keys;
        _start = start;
        _startIndex = startIndex;
        _startValue = startValue;
    }

    public override RegoValue? Value(EvalContext c, RegoValue?[] f)
    {
        if (c.DataOverrides is null)
        {
            if (_start is null)
            {
                return IndexFrom(c, f, _startValue, _startIndex);
            }

            var node = _start;
            var i = _startIndex;
            while (true)
            {
                if (node.Rules is not null)
                {
                    var v = node.Children.Count == 0 ? node.Rules.Value(c) : Materialize(c, node);
                    return IndexFrom(c, f, v, i);
                }

                if (node.IsFunctionOnly)
                {
                    return null;
                }

                if (i == _keys.Length)
                {
                    return Materialize(c, node);
                }

                var kv = _keys[i].Value(c, f);
                if (kv is null)
                {
                    return null;
                }

                if (kv is RegoString s && node.Children.TryGetValue(s.Value, out var child))
                {
                    node = child;
                    i++;
                    continue;
                }

                if (node.Base is RegoObject bo && (bo.TryGetValue(kv, out var bv) || (kv is RegoNumber && bo.TryGetValue(new RegoString(kv.ToString()), out bv))))
                {
                    return IndexFrom(c, f, bv, i + 1);
                }

                return null;
            }
        }

        return OverriddenValue(c, f);
    }

    private RegoValue? OverriddenValue(EvalContext c, RegoValue?[] f)
    {
        RegoValue? result = null;
        Eval(c, f, v =>
        {
            result = v;
            return false;
        });
        return result;
    }

    private RegoValue? IndexFrom(EvalContext c, RegoValue?[] f, RegoValue? v, int i)
    {
        for (; i < _keys.Length && v is not null; i++)
        {
            var key = _keys[i].Value(c, f);
            if (key is null)
            {
                return null;
            }

            v = RefNode.Index(v, key);
        }

        return v;
    }

    public override bool Eval(EvalContext c, RegoValue?[] f, Func<RegoValue, bool> k)
    {
        if (IsSimple && c.DataOverrides is null)
        {
            var v = Value(c, f);
            return v is null || k(v);
        }

        if (c.DataOverrides is not null)
        {
            return WalkOverridden(c, f, _root, _keys, 0, k);
        }

        if (_start is null)
        {
            return _startValue is null || RefNode.WalkValue(c, f, _startValue, _keys, _startIndex, k);
        }

        return Walk(c, f, _start, _keys, _startIndex, k);
    }

    public override bool Unify(EvalContext c, RegoValue?[] f, RegoValue v, Func<bool> k)
    {
        if (IsSimple)
        {
            var x = Value(c, f);
            return x is null || !x.Equals(v) || k();
        }

        return UnifyByEval(c, f, v, k);
    }

    public static bool Walk(EvalContext c, RegoValue?[] f, DataNode node, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        while (true)
        {
            if (node.Rules is not null)
            {
                var v = node.Children.Count == 0 ? node.Rules.Value(c) : Materialize(c, node);
                return v is null || RefNode.WalkValue(c, f, v, keys, i, k);
            }

            if (node.IsFunctionOnly)
            {
                return true;
            }

            if (i == keys.Length)
            {
                var m = Materialize(c, node);
                return m is null || k(m);
            }

            var key = keys[i];
            RegoValue? kv = key is VarNode vn ? f[vn.Slot] : key.IsSimple ? key.Value(c, f) : null;
            if (kv is null && key.IsSimple && key is not VarNode)
            {
                return true;
            }

            if (kv is not null)
            {
                if (kv is RegoString s && node.Children.TryGetValue(s.Value, out var child))
                {
                    node = child;
                    i++;
                    continue;
                }

                if (node.Base is RegoObject bo && (bo.TryGetValue(kv, out var bv) || (kv is RegoNumber && bo.TryGetValue(new RegoString(kv.ToString()), out bv))))
                {
                    return RefNode.WalkValue(c, f, bv, keys, i + 1, k);
                }

                return true;
            }

            return EnumerateNode(c, f, node, keys, i, k);
        }
    }

    private static bool EnumerateNode(EvalContext c, RegoValue?[] f, DataNode node, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        var key = keys[i];
        var next = i + 1;
        foreach (var (name, child) in node.Children)
        {
            var ch = child;
            if (ch.IsFunctionOnly)
            {
                continue;
            }

            if (!key.Unify(c, f, new RegoString(name), () => Walk(c, f, ch, keys, next, k)))
            {
                return false;
            }
        }

        if (node.Base is RegoObject baseObj)
        {
            foreach (var (bk, bv) in baseObj.Entries)
            {
                if (bk is RegoString bs && node.Children.ContainsKey(bs.Value))
                {
                    continue;
                }

                var value = bv;
                if (!key.Unify(c, f, bk, () => RefNode.WalkValue(c, f, value, keys, next, k)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The value of a package (or any inner node): base data merged with the values of the rules below.</summary>
    public static RegoValue? Materialize(EvalContext c, DataNode node)
    {
        if (node.Rules is not null)
        {
            var rv = node.Rules.Value(c);
            if (node.Children.Count == 0 || rv is not (null or RegoObject))
            {
                return rv;
            }
        }

        var fromRules = node.Rules?.Value(c) as RegoObject;
        var map = fromRules is not null ? fromRules.ToDictionary() : node.Base is RegoObject bo ? bo.ToDictionary() : new Dictionary<RegoValue, RegoValue>();
        foreach (var (name, child) in node.Children)
        {
            if (child.IsFunctionOnly)
            {
                continue;
            }

            var v = Materialize(c, child);
            if (v is not null)
            {
                var key = new RegoString(name);
                if (fromRules is not null && fromRules.TryGetValue(key, out var existing))
                {
                    // Rules with variables in their refs may overlap other rules' extents: merge, conflict only on leaves.
                    v = Merge(existing, v, node.Rules!.Loc);
                }

                map[key] = v;
            }
        }

        return new RegoObject(map);
    }

    private static RegoValue Merge(RegoValue a, RegoValue b, Ast.Loc loc)
    {
        if (a.Equals(b))
        {
            return a;
        }

        if (a is RegoObject oa && b is RegoObject ob)
        {
            var map = oa.ToDictionary();
            foreach (var (k, v) in ob.Entries)
            {
                map[k] = map.TryGetValue(k, out var existing) ? Merge(existing, v, loc) : v;
            }

            return new RegoObject(map);
        }

        throw Errors.Conflict(loc, "object keys must be unique");
    }

    // ---- slow path: with data... in force ----
    private static bool WalkOverridden(EvalContext c, RegoValue?[] f, DataNode? node, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        var path = new List<string>();
        return WalkO(c, f, node, path, keys, i, k);
    }

    private static bool TryExact(EvalContext c, List<string> path, out RegoValue value)
    {
        var overrides = c.DataOverrides!;
        for (var j = overrides.Count - 1; j >= 0; j--)
        {
            var p = overrides[j].Key;
            if (p.Length == path.Count && Matches(p, path))
            {
                value = PatchBelow(c, overrides[j].Value, path, j + 1)!;
                return true;
            }
        }

        value = RegoNull.Instance;
        return false;
    }

    private static bool Matches(string[] p, List<string> path)
    {
        for (var i = 0; i < path.Count; i++)
        {
            if (!string.Equals(p[i], path[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Applies overrides (from index <paramref name="from"/>) that lie strictly below <paramref name="path"/>.</summary>
    private static RegoValue? PatchBelow(EvalContext c, RegoValue? v, List<string> path, int from = 0)
    {
        var overrides = c.DataOverrides!;
        for (var j = from; j < overrides.Count; j++)
        {
            var p = overrides[j].Key;
            if (p.Length > path.Count && Matches(p, path))
            {
                v = PathOps.SetPath(v, p, path.Count, overrides[j].Value);
            }
        }

        return v;
    }

    private static bool WalkO(EvalContext c, RegoValue?[] f, DataNode? node, List<string> path, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        if (TryExact(c, path, out var exact))
        {
            return RefNode.WalkValue(c, f, exact, keys, i, k);
        }

        if (node is null)
        {
            var v = PatchBelow(c, null, path);
            return v is null || RefNode.WalkValue(c, f, v, keys, i, k);
        }

        if (node.Rules is not null)
        {
            var v = PatchBelow(c, node.Rules.Value(c), path);
            return v is null || RefNode.WalkValue(c, f, v, keys, i, k);
        }

        if (node.IsFunctionOnly)
        {
            return true;
        }

        if (i == keys.Length)
        {
            return k(MaterializeO(c, node, path));
        }

        var key = keys[i];
        RegoValue? kv = key is VarNode vn ? f[vn.Slot] : key.IsSimple ? key.Value(c, f) : null;
        if (kv is null && key.IsSimple && key is not VarNode)
        {
            return true;
        }

        if (kv is not null)
        {
            return Step(c, f, node, path, kv, keys, i, k);
        }

        var candidates = new SortedSet<RegoValue>();
        foreach (var name in node.Children.Keys)
        {
            candidates.Add(new RegoString(name));
        }

        if (node.Base is RegoObject bo)
        {
            foreach (var (bk, _) in bo.Entries)
            {
                candidates.Add(bk);
            }
        }

        foreach (var (p, _) in c.DataOverrides!)
        {
            if (p.Length > path.Count && Matches(p, path))
            {
                candidates.Add(new RegoString(p[path.Count]));
            }
        }

        foreach (var cand in candidates)
        {
            var candidate = cand;
            if (!key.Unify(c, f, candidate, () => Step(c, f, node, path, candidate, keys, i, k)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Step(EvalContext c, RegoValue?[] f, DataNode node, List<string> path, RegoValue kv, TNode[] keys, int i, Func<RegoValue, bool> k)
    {
        if (kv is RegoString s)
        {
            path.Add(s.Value);
            try
            {
                if (node.Children.TryGetValue(s.Value, out var child))
                {
                    return WalkO(c, f, child, path, keys, i + 1, k);
                }

                if (TryExact(c, path, out var exact))
                {
                    return RefNode.WalkValue(c, f, exact, keys, i + 1, k);
                }

                RegoValue? bv = null;
                if (node.Base is RegoObject bo)
                {
                    bo.TryGetValue(kv, out bv);
                }

                bv = PatchBelow(c, bv, path);
                return bv is null || RefNode.WalkValue(c, f, bv, keys, i + 1, k);
            }
            finally
            {
                path.RemoveAt(path.Count - 1);
            }
        }

        if (node.Base is RegoObject bo2 && bo2.TryGetValue(kv, out var bv2))
        {
            return RefNode.WalkValue(c, f, bv2, keys, i + 1, k);
        }

        return true;
    }

    private static RegoValue MaterializeO(EvalContext c, DataNode node, List<string> path)
    {
        if (TryExact(c, path, out var exact))
        {
            return exact;
        }

        if (node.Rules is not null)
        {
            return PatchBelow(c, node.Rules.Value(c), path) ?? RegoObject.Empty;
        }

        var map = node.Base is RegoObject bo ? bo.ToDictionary() : new Dictionary<RegoValue, RegoValue>();
        foreach (var (name, child) in node.Children)
        {
            if (child.IsFunctionOnly)
            {
                continue;
            }

            path.Add(name);
            try
            {
                RegoValue? v;
                if (TryExact(c, path, out var ex))
                {
                    v = ex;
                }
                else
                {
                    v = child.Rules is not null ? PatchBelow(c, child.Rules.Value(c), path) : MaterializeO(c, child, path);
                }

                if (v is not null)
                {
                    map[new RegoString(name)] = v;
                }
            }
            finally
            {
                path.RemoveAt(path.Count - 1);
            }
        }

        var obj = new RegoObject(map);
        return PatchBelow(c, obj, path) ?? obj;
    }
}
