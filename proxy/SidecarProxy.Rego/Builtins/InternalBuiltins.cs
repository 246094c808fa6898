using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>The builtins behind the <c>in</c> operator: internal.member_2 (<c>x in xs</c>) and internal.member_3 (<c>k, v in xs</c>).</summary>
internal static class InternalBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("internal.member_2", 2, static (_, a) => RegoBoolean.From(Member(a[0], a[1])));
        registry.Add("internal.member_3", 3, static (_, a) => RegoBoolean.From(Member3(a[0], a[1], a[2])));

        // An embedded engine has no OPA runtime to describe (no config, no environment): an empty object, as OPA returns without one.
        registry.Add(new BuiltinDefinition("opa.runtime", 0, static (_, _) => RegoObject.Empty) { NonDeterministic = true });
    }

    public static bool Member(RegoValue x, RegoValue collection)
    {
        switch (collection)
        {
            case RegoSet s:
                return s.Contains(x);
            case RegoArray arr:
                foreach (var item in arr.Items)
                {
                    if (item.Equals(x))
                    {
                        return true;
                    }
                }

                return false;
            case RegoObject o:
                foreach (var (_, v) in o.Entries)
                {
                    if (v.Equals(x))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    public static bool Member3(RegoValue key, RegoValue value, RegoValue collection)
    {
        switch (collection)
        {
            case RegoArray arr:
                return key is RegoNumber n && n.TryGetInt32(out var i) && i >= 0 && i < arr.Count && arr[i].Equals(value);
            case RegoObject o:
                return o.TryGetValue(key, out var v) && v.Equals(value);
            case RegoSet s:
                return key.Equals(value) && s.Contains(value);
            default:
                return false;
        }
    }
}
