namespace SidecarProxy.Rego.Compiler;

/// <summary>Slots of one evaluation frame (a rule, function or query): every variable gets its own slot.</summary>
internal sealed class FrameLayout
{
    public List<string> Names { get; } = [];

    public int Count => Names.Count;

    public int New(string name)
    {
        Names.Add(name);
        return Names.Count - 1;
    }

    public string DisplayName(int slot)
    {
        var n = Names[slot];
        return n.StartsWith("$_", StringComparison.Ordinal) ? "_" : n;
    }
}

/// <summary>A lexical scope: a body, a comprehension body or an <c>every</c> body.</summary>
internal sealed class Scope(FrameLayout layout, Scope? parent)
{
    private readonly Dictionary<string, int> _vars = new(StringComparer.Ordinal);
    private readonly HashSet<string> _assigned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _declaredAt = new(StringComparer.Ordinal);

    public FrameLayout Layout { get; } = layout;

    public Scope? Parent { get; } = parent;

    public IEnumerable<KeyValuePair<string, int>> Own => _vars;

    /// <summary>
    /// Index of the literal being processed in this scope's body: variables declared (<c>:=</c>, <c>some</c>) at or after it
    /// are invisible to nested closures, as OPA rewrites local variables in order.
    /// </summary>
    public int VisibleLimit { get; set; } = int.MaxValue;

    public bool TryResolve(string name, out int slot) => TryResolveFrom(this, name, false, out slot);

    /// <summary>Resolves as a closure nested in this scope would (positional declarations apply here too).</summary>
    public bool TryResolveAsChild(string name, out int slot) => TryResolveFrom(this, name, true, out slot);

    private static bool TryResolveFrom(Scope start, string name, bool childView, out int slot)
    {
        for (var s = start; s is not null; s = s.Parent)
        {
            var limited = childView || !ReferenceEquals(s, start);
            if (s._vars.TryGetValue(name, out slot))
            {
                if (limited && s._declaredAt.TryGetValue(name, out var at) && at >= s.VisibleLimit)
                {
                    continue;
                }

                return true;
            }
        }

        slot = -1;
        return false;
    }

    /// <summary>Marks a declaration as made by literal <paramref name="index"/>.</summary>
    public void MarkDeclaredAt(string name, int index) => _declaredAt[name] = index;

    public bool OwnsName(string name) => _vars.ContainsKey(name);

    public int DeclareFresh(string name)
    {
        var slot = Layout.New(name);
        _vars[name] = slot;
        return slot;
    }

    /// <summary>Declares a <c>:=</c> variable; false when it was already assigned in this scope.</summary>
    public bool DeclareAssigned(string name, out int slot)
    {
        if (!name.StartsWith("$_", StringComparison.Ordinal) && !_assigned.Add(name))
        {
            slot = _vars[name];
            return false;
        }

        slot = DeclareFresh(name);
        return true;
    }

    public int DeclareIfUnknown(string name)
    {
        if (TryResolve(name, out var slot))
        {
            return slot;
        }

        return DeclareFresh(name);
    }
}
