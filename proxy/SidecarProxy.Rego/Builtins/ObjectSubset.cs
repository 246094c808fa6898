using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>object.subset: objects recursively, sets by membership, arrays as a contiguous run, a set inside an array.</summary>
internal static class ObjectSubset
{
    public static bool IsSubset(RegoValue super, RegoValue sub) => (super, sub) switch
    {
        (RegoObject a, RegoObject b) => Objects(a, b),
        (RegoSet a, RegoSet b) => Sets(a, b),
        (RegoArray a, RegoArray b) => Arrays(a, b),
        (RegoArray a, RegoSet b) => ArrayContainsSet(a, b),
        _ => throw new BuiltinTypeException("both arguments object.subset must be of the same type or array and set"),
    };

    private static bool Objects(RegoObject super, RegoObject sub)
    {
        foreach (var (key, subValue) in sub.Entries)
        {
            if (!super.TryGetValue(key, out var superValue))
            {
                return false;
            }

            if (subValue.Equals(superValue))
            {
                continue;
            }

            var ok = (superValue, subValue) switch
            {
                (RegoObject a, RegoObject b) => Objects(a, b),
                (RegoSet a, RegoSet b) => Sets(a, b),
                (RegoArray a, RegoArray b) => Arrays(a, b),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Sets(RegoSet super, RegoSet sub)
    {
        foreach (var item in sub.Items)
        {
            if (!super.Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    // The whole of sub must appear in super as one contiguous run, in order.
    private static bool Arrays(RegoArray super, RegoArray sub)
    {
        if (sub.Count > super.Count)
        {
            return false;
        }

        for (var start = 0; start + sub.Count <= super.Count; start++)
        {
            var match = true;
            for (var i = 0; i < sub.Count; i++)
            {
                if (super[start + i].CompareTo(sub[i]) != 0)
                {
                    match = false;
                    break;
                }
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }

    // OPA counts down the set's size once per array element found in the set (so duplicates count
    // again), and answers true only when the count reaches zero while walking the array: an empty
    // array is therefore never a superset, not even of the empty set.
    private static bool ArrayContainsSet(RegoArray super, RegoSet sub)
    {
        var unmatched = sub.Count;
        foreach (var item in super.Items)
        {
            if (sub.Contains(item))
            {
                unmatched--;
            }

            if (unmatched == 0)
            {
                return true;
            }
        }

        return false;
    }
}
