using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>object.union's merge: keys of both, the right value winning, except that two objects under one key merge recursively.</summary>
internal static class ObjectMerge
{
    public static RegoObject Union(RegoObject left, RegoObject right)
    {
        if (right.Count == 0)
        {
            return left;
        }

        if (left.Count == 0)
        {
            return right;
        }

        if (left.Equals(right))
        {
            return left;
        }

        var map = left.ToDictionary();
        foreach (var (k, v) in right.Entries)
        {
            map[k] = map.TryGetValue(k, out var existing) && existing is RegoObject eo && v is RegoObject vo ? Union(eo, vo) : v;
        }

        return new RegoObject(map);
    }
}
