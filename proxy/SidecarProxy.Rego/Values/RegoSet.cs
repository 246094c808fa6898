using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// An immutable set. Elements are kept sorted in OPA's value order, which makes iteration,
/// comparison and JSON output deterministic (JSON output of a set is its sorted elements).
/// </summary>
public sealed class RegoSet : RegoValue
{
    public static readonly RegoSet Empty = new([], sortedAndDistinct: true);

    private readonly RegoValue[] _sorted;
    private HashSet<RegoValue>? _lookup;
    private int _hash;

    private RegoSet(RegoValue[] items, bool sortedAndDistinct)
    {
        if (!sortedAndDistinct)
        {
            items = SortDistinct(items);
        }

        _sorted = items;
    }

    public static RegoSet From(IEnumerable<RegoValue> items)
    {
        var array = items.ToArray();
        return array.Length == 0 ? Empty : new RegoSet(array, sortedAndDistinct: false);
    }

    public static RegoSet From(params RegoValue[] items) => items.Length == 0 ? Empty : new RegoSet((RegoValue[])items.Clone(), sortedAndDistinct: false);

    public override RegoKind Kind => RegoKind.Set;

    public int Count => _sorted.Length;

    /// <summary>The elements in ascending order.</summary>
    public ReadOnlySpan<RegoValue> Items => _sorted;

    public IReadOnlyList<RegoValue> AsList() => _sorted;

    public bool Contains(RegoValue value)
    {
        if (_sorted.Length <= 8)
        {
            foreach (var item in _sorted)
            {
                if (item.Equals(value))
                {
                    return true;
                }
            }

            return false;
        }

        var lookup = _lookup ??= new HashSet<RegoValue>(_sorted);
        return lookup.Contains(value);
    }

    public RegoSet Add(RegoValue value) => Contains(value) ? this : From(_sorted.Append(value));

    public RegoSet Union(RegoSet other) => other.Count == 0 ? this : Count == 0 ? other : From(_sorted.Concat(other._sorted));

    public RegoSet Intersect(RegoSet other) => new(_sorted.Where(other.Contains).ToArray(), sortedAndDistinct: true);

    public RegoSet Except(RegoSet other) => new(_sorted.Where(v => !other.Contains(v)).ToArray(), sortedAndDistinct: true);

    private static RegoValue[] SortDistinct(RegoValue[] items)
    {
        Array.Sort(items, static (a, b) => a.CompareTo(b));
        var n = 0;
        for (var i = 0; i < items.Length; i++)
        {
            if (n == 0 || !items[n - 1].Equals(items[i]))
            {
                items[n++] = items[i];
            }
        }

        return n == items.Length ? items : items[..n];
    }

    private protected override int CompareSameKind(RegoValue other)
    {
        var o = ((RegoSet)other)._sorted;
        var n = Math.Min(_sorted.Length, o.Length);
        for (var i = 0; i < n; i++)
        {
            var c = _sorted[i].CompareTo(o[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return _sorted.Length.CompareTo(o.Length);
    }

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = new HashCode();
            h.Add(RegoKind.Set);
            foreach (var item in _sorted)
            {
                h.Add(item.GetHashCode());
            }

            _hash = h.ToHashCode() | 1;
        }

        return _hash;
    }

    public override void WriteRego(StringBuilder sb)
    {
        if (_sorted.Length == 0)
        {
            sb.Append("set()");
            return;
        }

        sb.Append('{');
        for (var i = 0; i < _sorted.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            _sorted[i].WriteRego(sb);
        }

        sb.Append('}');
    }
}
