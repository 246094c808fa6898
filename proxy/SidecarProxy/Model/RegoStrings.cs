using SidecarProxy.Rego.Values;

namespace SidecarProxy.Model;

/// <summary>Reads the members of a decision document that are lists of strings.</summary>
internal static class RegoStrings
{
    /// <summary>The strings of an array or a set, in order; false when the value is neither or holds a non-string.</summary>
    public static bool TryReadList(RegoValue value, out List<string> strings)
    {
        strings = [];
        ReadOnlySpan<RegoValue> items;
        if (value is RegoArray a)
        {
            items = a.Items;
        }
        else if (value is RegoSet s)
        {
            items = s.Items;
        }
        else
        {
            return false;
        }

        strings = new List<string>(items.Length);
        foreach (var item in items)
        {
            if (item is not RegoString str)
            {
                return false;
            }

            strings.Add(str.Value);
        }

        return true;
    }
}
