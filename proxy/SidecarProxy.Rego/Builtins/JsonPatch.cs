using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// json.patch: RFC 6902 operations applied in order, as OPA applies them (its edit tree): sets are addressed by
/// their elements, arrays by index or "-", leading zeros are rejected. Any failing operation makes the result undefined.
/// </summary>
internal static class JsonPatch
{
    private sealed class PatchFailedException : Exception
    {
    }

    public static RegoValue? Apply(RegoValue target, RegoArray operations)
    {
        RegoValue? doc = target;
        try
        {
            foreach (var operation in operations.Items)
            {
                if (operation is not RegoObject op)
                {
                    return null;
                }

                doc = ApplyOne(doc, op);
            }
        }
        catch (PatchFailedException)
        {
            return null;
        }

        return doc;
    }

    private static RegoValue? ApplyOne(RegoValue? doc, RegoObject op)
    {
        if (op["op"] is not RegoString opName || op["path"] is not { } pathValue)
        {
            throw new PatchFailedException();
        }

        var path = JsonPaths.TryParsePath(pathValue) ?? throw new PatchFailedException();
        switch (opName.Value)
        {
            case "add":
                return Insert(doc, path, Require(op, "value"));
            case "remove":
                return Delete(doc, path);
            case "replace":
                return Insert(Delete(doc, path), path, Require(op, "value"));
            case "move":
                {
                    var from = JsonPaths.TryParsePath(Require(op, "from")) ?? throw new PatchFailedException();
                    var chunk = Get(doc, from);
                    return Insert(Delete(doc, from), path, chunk);
                }

            case "copy":
                {
                    var from = JsonPaths.TryParsePath(Require(op, "from")) ?? throw new PatchFailedException();
                    return Insert(doc, path, Get(doc, from));
                }

            case "test":
                return Get(doc, path).Equals(Require(op, "value")) ? doc : throw new PatchFailedException();
            default:
                throw new PatchFailedException();
        }
    }

    private static RegoValue Require(RegoObject op, string name) => op[name] ?? throw new PatchFailedException();

    private static RegoValue Get(RegoValue? doc, ReadOnlySpan<RegoValue> path)
    {
        var current = doc ?? throw new PatchFailedException();
        foreach (var key in path)
        {
            current = Child(current, key);
        }

        return current;
    }

    private static RegoValue Child(RegoValue parent, RegoValue key) => parent switch
    {
        RegoObject o => o[key] ?? throw new PatchFailedException(),
        RegoSet s => s.Contains(key) ? key : throw new PatchFailedException(),
        RegoArray a => ToIndex(a.Count, key) is var i && i >= 0 && i < a.Count ? a[i] : throw new PatchFailedException(),
        _ => throw new PatchFailedException(),
    };

    private static RegoValue Insert(RegoValue? doc, ReadOnlySpan<RegoValue> path, RegoValue value)
    {
        JsonStackGuard.Ensure();
        if (path.Length == 0)
        {
            return value;
        }

        var parent = doc ?? throw new PatchFailedException();
        var key = path[0];
        if (path.Length > 1)
        {
            return Replace(parent, key, Insert(Child(parent, key), path[1..], value));
        }

        switch (parent)
        {
            case RegoObject o:
                return o.With(key, value);
            case RegoSet s:
                return key.Equals(value) ? s.Add(value) : throw new PatchFailedException();
            case RegoArray a:
                {
                    var i = ToIndex(a.Count, key);
                    if (i < 0 || i > a.Count)
                    {
                        throw new PatchFailedException();
                    }

                    var items = new RegoValue[a.Count + 1];
                    a.Items[..i].CopyTo(items);
                    items[i] = value;
                    a.Items[i..].CopyTo(items.AsSpan(i + 1));
                    return new RegoArray(items);
                }

            default:
                throw new PatchFailedException();
        }
    }

    private static RegoValue? Delete(RegoValue? doc, ReadOnlySpan<RegoValue> path)
    {
        JsonStackGuard.Ensure();
        var parent = doc ?? throw new PatchFailedException();
        if (path.Length == 0)
        {
            return null;
        }

        var key = path[0];
        if (path.Length > 1)
        {
            var updated = Delete(Child(parent, key), path[1..]) ?? throw new PatchFailedException();
            return Replace(parent, key, updated);
        }

        switch (parent)
        {
            case RegoObject o:
                {
                    if (!o.ContainsKey(key))
                    {
                        throw new PatchFailedException();
                    }

                    var map = o.ToDictionary();
                    map.Remove(key);
                    return new RegoObject(map);
                }

            case RegoSet s:
                return s.Contains(key) ? s.Except(RegoSet.From(key)) : throw new PatchFailedException();
            case RegoArray a:
                {
                    var i = ToIndex(a.Count, key);
                    if (i < 0 || i >= a.Count)
                    {
                        throw new PatchFailedException();
                    }

                    var items = new RegoValue[a.Count - 1];
                    a.Items[..i].CopyTo(items);
                    a.Items[(i + 1)..].CopyTo(items.AsSpan(i));
                    return new RegoArray(items);
                }

            default:
                throw new PatchFailedException();
        }
    }

    // Puts an updated child back under its key (for sets the element itself changes).
    private static RegoValue Replace(RegoValue parent, RegoValue key, RegoValue child)
    {
        switch (parent)
        {
            case RegoObject o:
                return o.With(key, child);
            case RegoSet s:
                return s.Except(RegoSet.From(key)).Add(child);
            case RegoArray a:
                {
                    var items = a.Items.ToArray();
                    items[ToIndex(a.Count, key)] = child;
                    return new RegoArray(items);
                }

            default:
                throw new PatchFailedException();
        }
    }

    private static int ToIndex(int length, RegoValue key)
    {
        switch (key)
        {
            case RegoNumber n:
                return n.TryGetInt32(out var i) ? i : throw new PatchFailedException();
            case RegoString s:
                if (s.Value == "-")
                {
                    return length;
                }

                if (!BigInteger.TryParse(s.Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var big)
                    || big < int.MinValue || big > int.MaxValue)
                {
                    throw new PatchFailedException();
                }

                if (s.Value != "0" && s.Value.StartsWith('0'))
                {
                    throw new PatchFailedException(); // leading zeros are not allowed in JSON paths
                }

                return (int)big;
            default:
                throw new PatchFailedException();
        }
    }
}
