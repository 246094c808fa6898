using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>intersection and union of a set of sets (OPA's v1/topdown/sets.go).</summary>
internal static class SetBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("intersection", 1, Intersection);
        registry.Add("union", 1, Union);
    }

    private static RegoValue Intersection(BuiltinContext context, RegoValue[] args)
    {
        var sets = Operands.Set(args, 0);
        RegoSet? result = null;
        foreach (var item in sets.Items)
        {
            var set = ElementSet(item);
            result = result is null ? set : result.Intersect(set);
        }

        return result ?? RegoSet.Empty;
    }

    private static RegoValue Union(BuiltinContext context, RegoValue[] args)
    {
        var sets = Operands.Set(args, 0);
        var all = new List<RegoValue>();
        foreach (var item in sets.Items)
        {
            foreach (var v in ElementSet(item).Items)
            {
                all.Add(v);
            }
        }

        return RegoSet.From(all);
    }

    // OPA checks each element with the operand check at position 1: "operand 1 must be set but got number".
    private static RegoSet ElementSet(RegoValue item) =>
        item as RegoSet ?? throw new BuiltinTypeException($"operand 1 must be set but got {item.TypeName}");
}
