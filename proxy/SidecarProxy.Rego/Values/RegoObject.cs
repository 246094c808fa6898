using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// An immutable object. Keys may be any value (not only strings), as in Rego.
/// Lookups are hashed; iteration is in ascending key order, as OPA's is. A small object built by the evaluator
/// (<see cref="FromSortedPairs"/>) is only its sorted pairs, searched linearly: cheaper to build and to search
/// than a hash table at that size.
/// </summary>
public sealed class RegoObject : RegoValue
{
    public static readonly RegoObject Empty = new(new Dictionary<RegoValue, RegoValue>(0));

    /// <summary>Up to this many pairs, an object built from pairs keeps no hash table.</summary>
    internal const int MaxSmall = 8;

    private readonly Dictionary<RegoValue, RegoValue>? _map;
    private KeyValuePair<RegoValue, RegoValue>[]? _sorted;
    private int _hash;

    /// <summary>Takes ownership of <paramref name="map"/>: the caller must not mutate it afterwards.</summary>
    public RegoObject(Dictionary<RegoValue, RegoValue> map) => _map = map ?? throw new ArgumentNullException(nameof(map));

    private RegoObject(KeyValuePair<RegoValue, RegoValue>[] sorted) => _sorted = sorted;

    /// <summary>
    /// An object over pairs with distinct keys in ascending key order (at most <see cref="MaxSmall"/>); takes
    /// ownership of the array.
    /// </summary>
    internal static RegoObject FromSortedPairs(KeyValuePair<RegoValue, RegoValue>[] sorted) => sorted.Length == 0 ? Empty : new RegoObject(sorted);

    private static Dictionary<RegoValue, RegoValue> BuildMap(KeyValuePair<RegoValue, RegoValue>[] pairs)
    {
        var map = new Dictionary<RegoValue, RegoValue>(pairs.Length);
        foreach (var (k, v) in pairs)
        {
            map[k] = v;
        }

        return map;
    }

    private bool IsSmall => _map is null;

    private static bool TryFindSmall(KeyValuePair<RegoValue, RegoValue>[] pairs, RegoValue key, out RegoValue value)
    {
        foreach (var (k, v) in pairs)
        {
            if (k.Equals(key))
            {
                value = v;
                return true;
            }
        }

        value = null!;
        return false;
    }

    private static bool TryFindSmall(KeyValuePair<RegoValue, RegoValue>[] pairs, string key, out RegoValue value)
    {
        foreach (var (k, v) in pairs)
        {
            if (k is RegoString s && string.Equals(s.Value, key, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }

        value = null!;
        return false;
    }

    /// <summary>
    /// An object of the given members, which must have distinct keys; takes ownership of the array (sorts it in
    /// place). Up to <see cref="MaxSmall"/> members it keeps no hash table: the way to build the small objects of
    /// a request's input.
    /// </summary>
    public static RegoObject FromMembers(params KeyValuePair<RegoValue, RegoValue>[] members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Length > MaxSmall)
        {
            return From(members);
        }

        Array.Sort(members, static (a, b) => a.Key.CompareTo(b.Key));
        for (var i = 1; i < members.Length; i++)
        {
            if (members[i - 1].Key.Equals(members[i].Key))
            {
                throw new ArgumentException("object members must have distinct keys", nameof(members));
            }
        }

        return FromSortedPairs(members);
    }

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

    public int Count => _map?.Count ?? _sorted!.Length;

    public bool TryGetValue(RegoValue key, out RegoValue value) =>
        IsSmall ? TryFindSmall(_sorted!, key, out value) : _map!.TryGetValue(key, out value!);

    public bool TryGetValue(string key, out RegoValue value) =>
        IsSmall ? TryFindSmall(_sorted!, key, out value) : _map!.TryGetValue(new RegoString(key), out value!);

    public RegoValue? this[RegoValue key] => TryGetValue(key, out var v) ? v : null;

    public RegoValue? this[string key] => TryGetValue(key, out var v) ? v : null;

    public bool ContainsKey(RegoValue key) => TryGetValue(key, out _);

    /// <summary>Entries in ascending key order.</summary>
    public ReadOnlySpan<KeyValuePair<RegoValue, RegoValue>> Entries => Sorted();

    public IReadOnlyList<KeyValuePair<RegoValue, RegoValue>> AsList() => Sorted();

    public IEnumerable<RegoValue> Keys => Sorted().Select(p => p.Key);

    /// <summary>A copy of the underlying map, for building a modified object.</summary>
    public Dictionary<RegoValue, RegoValue> ToDictionary() => IsSmall ? BuildMap(_sorted!) : new(_map!);

    public RegoObject With(RegoValue key, RegoValue value)
    {
        var map = ToDictionary();
        map[key] = value;
        return new RegoObject(map);
    }

    private KeyValuePair<RegoValue, RegoValue>[] Sorted()
    {
        var sorted = _sorted;
        if (sorted is null)
        {
            sorted = _map!.ToArray();
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
        var o = (RegoObject)other;
        if (o.Count != Count)
        {
            return false;
        }

        if (IsSmall)
        {
            foreach (var (k, v) in _sorted!)
            {
                if (!o.TryGetValue(k, out var ov) || !v.Equals(ov))
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var (k, v) in _map!)
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
            if (IsSmall)
            {
                foreach (var (k, v) in _sorted!)
                {
                    h += HashCode.Combine(k.GetHashCode(), v.GetHashCode());
                }
            }
            else
            {
                foreach (var (k, v) in _map!)
                {
                    h += HashCode.Combine(k.GetHashCode(), v.GetHashCode());
                }
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
