using System.Globalization;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>Path operands of json.filter/json.remove/json.patch: "a/b/c" JSON pointers (~0, ~1 escapes) or arrays of segments.</summary>
internal static class JsonPaths
{
    /// <summary>A node of the path tree; a null child is a leaf (the whole value at that path is selected).</summary>
    public sealed class Node
    {
        public Dictionary<RegoValue, Node?> Children { get; } = [];
    }

    public static RegoString IndexKey(int i) => new(i.ToString(CultureInfo.InvariantCulture));

    public static List<RegoValue[]> Parse(RegoValue[] args, int index)
    {
        var paths = new List<RegoValue[]>();
        switch (args[index])
        {
            case RegoArray a:
                foreach (var p in a.Items)
                {
                    paths.Add(ParsePath(p));
                }

                break;
            case RegoSet s:
                foreach (var p in s.Items)
                {
                    paths.Add(ParsePath(p));
                }

                break;
            default:
                throw Operands.TypeError(args, index, "one of {set, array}");
        }

        return paths;
    }

    /// <summary>One path: a "/"-separated string or an array of segments; anything else is an operand error.</summary>
    public static RegoValue[] ParsePath(RegoValue path) => TryParsePath(path) ??
        throw new BuiltinTypeException($"operand 2 must be one of {{set, array}} containing string paths or array of path segments but got {path.TypeName}");

    public static RegoValue[]? TryParsePath(RegoValue path)
    {
        switch (path)
        {
            case RegoString s:
                if (s.Value.Length == 0)
                {
                    return [];
                }

                return s.Value.TrimStart('/').Split('/')
                    .Select(part => (RegoValue)new RegoString(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
                    .ToArray();
            case RegoArray a:
                return a.Items.ToArray();
            default:
                return null;
        }
    }

    /// <summary>Merges paths into a tree; a shorter path wins over longer paths below it.</summary>
    public static Node ToTree(List<RegoValue[]> paths)
    {
        var root = new Node();
        foreach (var path in paths)
        {
            if (path.Length == 0)
            {
                continue;
            }

            var node = root;
            var done = false;
            for (var i = 0; i < path.Length - 1 && !done; i++)
            {
                if (!node.Children.TryGetValue(path[i], out var child))
                {
                    child = new Node();
                    node.Children[path[i]] = child;
                    node = child;
                }
                else if (child is null)
                {
                    done = true;
                }
                else
                {
                    node = child;
                }
            }

            if (!done)
            {
                node.Children[path[^1]] = null;
            }
        }

        return root;
    }
}
