using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// object.get, object.keys, object.remove, object.filter, object.union, object.union_n, object.subset
/// (OPA's v1/topdown/object.go and subset.go).
/// </summary>
internal static class ObjectBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("object.get", 3, Get);
        registry.Add("object.keys", 1, (_, a) => RegoSet.From(Operands.Object(a, 0).Keys));
        registry.Add("object.remove", 2, Remove);
        registry.Add("object.filter", 2, Filter);
        registry.Add("object.union", 2, (_, a) => ObjectMerge.Union(Operands.Object(a, 0), Operands.Object(a, 1)));
        registry.Add("object.union_n", 1, UnionN);
        registry.Add("object.subset", 2, (_, a) => RegoBoolean.From(ObjectSubset.IsSubset(a[0], a[1])));
    }

    private static RegoValue Get(BuiltinContext context, RegoValue[] args)
    {
        var obj = Operands.Object(args, 0);
        if (args[1] is not RegoArray path)
        {
            return obj.TryGetValue(args[1], out var value) ? value : args[2];
        }

        // An array key is a path into nested objects, arrays (by integer index) and sets (by member).
        RegoValue current = obj;
        foreach (var step in path.Items)
        {
            RegoValue? next = current switch
            {
                RegoObject o => o[step],
                RegoArray a => step is RegoNumber n && n.TryGetInt32(out var i) && i >= 0 && i < a.Count ? a[i] : null,
                RegoSet s => s.Contains(step) ? step : null,
                _ => null,
            };
            if (next is null)
            {
                return args[2];
            }

            current = next;
        }

        return current;
    }

    private static RegoValue Remove(BuiltinContext context, RegoValue[] args)
    {
        var obj = Operands.Object(args, 0);
        var keys = KeySet(args);
        var map = new Dictionary<RegoValue, RegoValue>();
        foreach (var (k, v) in obj.Entries)
        {
            if (!keys.Contains(k))
            {
                map[k] = v;
            }
        }

        return map.Count == 0 ? RegoObject.Empty : new RegoObject(map);
    }

    private static RegoValue Filter(BuiltinContext context, RegoValue[] args)
    {
        var obj = Operands.Object(args, 0);
        var keys = KeySet(args);
        var map = new Dictionary<RegoValue, RegoValue>();
        foreach (var k in keys)
        {
            if (obj.TryGetValue(k, out var v))
            {
                map[k] = v;
            }
        }

        return map.Count == 0 ? RegoObject.Empty : new RegoObject(map);
    }

    // Merge left to right, the later object winning and nested objects merging; OPA checks the elements
    // from the last to the first, so the reported bad element is the last one.
    private static RegoValue UnionN(BuiltinContext context, RegoValue[] args)
    {
        var array = Operands.Array(args, 0);
        for (var i = array.Count - 1; i >= 0; i--)
        {
            if (array[i] is not RegoObject)
            {
                throw new BuiltinTypeException($"operand 1 must be array of objects but got array containing {array[i].TypeName}");
            }
        }

        var result = RegoObject.Empty;
        foreach (var item in array.Items)
        {
            result = ObjectMerge.Union(result, (RegoObject)item);
        }

        return result;
    }

    private static HashSet<RegoValue> KeySet(RegoValue[] args) => args[1] switch
    {
        RegoArray a => new HashSet<RegoValue>(a.AsList()),
        RegoSet s => new HashSet<RegoValue>(s.AsList()),
        RegoObject o => new HashSet<RegoValue>(o.Keys),
        _ => throw Operands.TypeError(args, 1, "one of {object, set, array}"),
    };
}
