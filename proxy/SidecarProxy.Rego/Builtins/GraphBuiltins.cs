using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>graph.reachable and graph.reachable_paths over an adjacency object (OPA's topdown/reachable.go).</summary>
internal static class GraphBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("graph.reachable", 2, Reachable);
        registry.Add("graph.reachable_paths", 2, ReachablePaths);
    }

    private static ReadOnlySpan<RegoValue> Vertices(RegoValue? collection) => collection switch
    {
        RegoArray a => a.Items,
        RegoSet s => s.Items,
        _ => [],
    };

    private static RegoValue[] Initial(RegoValue[] args) => args[1] switch
    {
        RegoArray a => a.Items.ToArray(),
        RegoSet s => s.Items.ToArray(),
        _ => throw Operands.TypeError(args, 1, "one of {array, set}"),
    };

    private static RegoSet Reachable(BuiltinContext context, RegoValue[] args)
    {
        var graph = Operands.Object(args, 0);
        var queue = new Queue<RegoValue>(Initial(args));
        var reached = new HashSet<RegoValue>();
        while (queue.Count > 0)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var node = queue.Dequeue();
            if (reached.Contains(node) || graph[node] is not { } edges)
            {
                continue;
            }

            reached.Add(node);
            foreach (var neighbor in Vertices(edges))
            {
                if (!reached.Contains(neighbor))
                {
                    queue.Enqueue(neighbor);
                }
            }
        }

        return RegoSet.From(reached);
    }

    private static RegoSet ReachablePaths(BuiltinContext context, RegoValue[] args)
    {
        var graph = Operands.Object(args, 0);
        var result = new HashSet<RegoValue>();
        foreach (var node in Initial(args))
        {
            if (graph[node] is not { } edges)
            {
                continue;
            }

            var neighbors = Vertices(edges);
            if (neighbors.Length == 0)
            {
                result.Add(new RegoArray([node]));
                continue;
            }

            foreach (var neighbor in neighbors)
            {
                BuildPaths(graph, neighbor, [node], result, [node], context.CancellationToken);
            }
        }

        return RegoSet.From(result);
    }

    // path and onPath hold the current path's nodes; they are restored before returning (depth-first backtracking).
    private static void BuildPaths(RegoObject graph, RegoValue root, List<RegoValue> path, HashSet<RegoValue> result, HashSet<RegoValue> onPath, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        JsonStackGuard.Ensure();
        if (graph[root] is not { } edges)
        {
            // A node outside the graph ends the path without itself.
            result.Add(new RegoArray(path.ToArray()));
            return;
        }

        path.Add(root);
        var added = onPath.Add(root);
        var neighbors = Vertices(edges);
        if (neighbors.Length == 0)
        {
            result.Add(new RegoArray(path.ToArray()));
        }
        else
        {
            foreach (var neighbor in neighbors)
            {
                if (onPath.Contains(neighbor))
                {
                    result.Add(new RegoArray(path.ToArray())); // a cycle ends the path
                }
                else
                {
                    BuildPaths(graph, neighbor, path, result, onPath, cancellationToken);
                }
            }
        }

        if (added)
        {
            onPath.Remove(root);
        }

        path.RemoveAt(path.Count - 1);
    }
}
