using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// walk(x, [path, value]): a relation producing every [path, value] pair in x, x itself first with path [],
/// then depth-first with arrays by index, objects by key order and sets by element order (OPA's topdown/walk.go).
/// </summary>
internal static class WalkBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add(new BuiltinDefinition("walk", 1, null, (context, args) => Walk(args[0], context.CancellationToken)));
    }

    public static IEnumerable<RegoValue> Walk(RegoValue root, CancellationToken cancellationToken)
    {
        // An explicit stack keeps deep documents from exhausting the thread's stack.
        var stack = new Stack<(RegoValue[] Path, RegoValue Value)>();
        stack.Push(([], root));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, value) = stack.Pop();
            yield return new RegoArray([new RegoArray(path), value]);
            switch (value)
            {
                case RegoArray a:
                    for (var i = a.Count - 1; i >= 0; i--)
                    {
                        stack.Push((Append(path, RegoNumber.FromLong(i)), a[i]));
                    }

                    break;
                case RegoObject o:
                    {
                        var entries = o.Entries;
                        for (var i = entries.Length - 1; i >= 0; i--)
                        {
                            stack.Push((Append(path, entries[i].Key), entries[i].Value));
                        }

                        break;
                    }

                case RegoSet s:
                    {
                        var items = s.Items;
                        for (var i = items.Length - 1; i >= 0; i--)
                        {
                            stack.Push((Append(path, items[i]), items[i]));
                        }

                        break;
                    }
            }
        }
    }

    private static RegoValue[] Append(RegoValue[] path, RegoValue key)
    {
        var result = new RegoValue[path.Length + 1];
        path.CopyTo(result, 0);
        result[^1] = key;
        return result;
    }
}
