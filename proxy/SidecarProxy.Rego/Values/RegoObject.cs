using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// An immutable object. Keys may be any value (not only strings), as in Rego.
/// Lookups are hashed; iteration is in ascending key order, as OPA's is.
/// </summary>
public sealed class RegoObject : RegoValue
{
    public static readonly RegoObject Empty = new(new Dictionary<RegoValue, RegoValue>(0));

    private readonly Dictionary<RegoValue, RegoValue> _map;
    private KeyValuePair<RegoValue, RegoValue>[]? _sorted;
    private int _hash;

    /// <summary>Takes ownership of <paramref name="map"/>: the caller must not mutate it afterwards.</summary>
    public RegoObject(Dictionary<RegoValue, RegoValue> map) => _map = map ?? throw new ArgumentNullException(nameof(map));

    public static RegoObject From(IEnumerable<KeyValuePair<RegoValue, RegoValue>> pairs)
    {
        var map = new Dictionary<RegoValue, RegoValue>();
        foreach (var (k, v) in pairs)
        {
            map[k] = v;
        }

        return map.Count == 0 ? Empty : new RegoObject(map);
    }

    public static RegoObject FromStrings(IEnumerable<KeyValuePair<string, RegoValue>> pairs) =>
        From(pairs.Select(p => new KeyValuePair<RegoValue, RegoValue>(new RegoString(p.Key), p.Value)));

    public override RegoKind Kind => RegoKind.Object;

    public int Count => _map.Count;

    public bool TryGetValue(RegoValue key, out RegoValue value) => _map.TryGetValue(key, out value!);

    public bool TryGetValue(string key, out RegoValue value) => _map.TryGetValue(new RegoString(key), out value!);

    public RegoValue? this[RegoValue key] => _map.TryGetValue(key, out var v) ? v : null;

    public RegoValue? this[string key] => _map.TryGetValue(new RegoString(key), out var v) ? v : null;

    public bool ContainsKey(RegoValue key) => _map.ContainsKey(key);

    /// <summary>Entries in ascending key order.</summary>
    public ReadOnlySpan<KeyValuePair<RegoValue, RegoValue>> Entries => Sorted();

    public IReadOnlyList<KeyValuePair<RegoValue, RegoValue>> AsList() => Sorted();

    public IEnumerable<RegoValue> Keys => Sorted().Select(p => p.Key);

    /// <summary>A copy of the underlying map, for building a modified object.</summary>
    public Dictionary<RegoValue, RegoValue> ToDictionary() => new(_map);

    public RegoObject With(RegoValue key, RegoValue value)
    {
        var map = new Dictionary<RegoValue, RegoValue>(_map) { [key] = value };
        return new RegoObject(map);
    }

    private KeyValuePair<RegoValue, RegoValue>[] Sorted()
    {
        var sorted = _sorted;
        if (sorted is null)
        {
            sorted = _map.ToArray();
            Array.Sort(sorted, static (a, b) => a.Key.CompareTo(b.Key));
            _sorted = sorted;
        }

        return sorted;
    }

    private protected override int CompareSameKind(RegoValue other)
    {
        // OPA compares objects by their sorted keys first, then by the values in key order.
        var a = Sorted();
        var b = ((RegoObject)other).Sorted();
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var c = a[i].Key.CompareTo(b[i].Key);
            if (c != 0)
            {
                return c;
            }
        }

        if (a.Length != b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        for (var i = 0; i < n; i++)
        {
            var c = a[i].Value.CompareTo(b[i].Value);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    private protected override bool EqualsSameKind(RegoValue other)
    {
        var o = ((RegoObject)other)._map;
        if (o.Count != _map.Count)
        {
            return false;
        }

        foreach (var (k, v) in _map)
        {
            if (!o.TryGetValue(k, out var ov) || !v.Equals(ov))
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
            // Order-independent so that equal objects hash alike whatever their insertion order.
            var h = (int)RegoKind.Object;
            foreach (var (k, v) in _map)
            {
                h += HashCode.Combine(k.GetHashCode(), v.GetHashCode());
            }

            _hash = h | 1;
        }

        return _hash;
    }

    public override void WriteRego(StringBuilder sb)
    {
        sb.Append('{');
        var first = true;
        foreach (var (k, v) in Sorted())
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            k.WriteRego(sb);
            sb.Append(": ");
            v.WriteRego(sb);
        }

        sb.Append('}');
    }
}
