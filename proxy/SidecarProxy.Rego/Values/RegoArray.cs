using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>An immutable array. The items array is owned by the value and never mutated.</summary>
public sealed class RegoArray : RegoValue
{
    public static readonly RegoArray Empty = new([]);

    private readonly RegoValue[] _items;
    private int _hash;

    /// <summary>Takes ownership of <paramref name="items"/>: the caller must not mutate it afterwards.</summary>
    public RegoArray(RegoValue[] items) => _items = items ?? throw new ArgumentNullException(nameof(items));

    public RegoArray(IEnumerable<RegoValue> items)
        : this(items.ToArray())
    {
    }

    public override RegoKind Kind => RegoKind.Array;

    public int Count => _items.Length;

    public RegoValue this[int index] => _items[index];

    public ReadOnlySpan<RegoValue> Items => _items;

    public IReadOnlyList<RegoValue> AsList() => _items;

    private protected override int CompareSameKind(RegoValue other)
    {
        var o = ((RegoArray)other)._items;
        var n = Math.Min(_items.Length, o.Length);
        for (var i = 0; i < n; i++)
        {
            var c = _items[i].CompareTo(o[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return _items.Length.CompareTo(o.Length);
    }

    private protected override bool EqualsSameKind(RegoValue other)
    {
        var o = ((RegoArray)other)._items;
        if (o.Length != _items.Length)
        {
            return false;
        }

        for (var i = 0; i < o.Length; i++)
        {
            if (!_items[i].Equals(o[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = new HashCode();
            h.Add(RegoKind.Array);
            foreach (var item in _items)
            {
                h.Add(item.GetHashCode());
            }

            _hash = h.ToHashCode() | 1;
        }

        return _hash;
    }

    public override void WriteRego(StringBuilder sb)
    {
        sb.Append('[');
        for (var i = 0; i < _items.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            _items[i].WriteRego(sb);
        }

        sb.Append(']');
    }
}
