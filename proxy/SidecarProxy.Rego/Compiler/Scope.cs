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

    public FrameLayout Layout { get; } = layout;

    public Scope? Parent { get; } = parent;

    public IEnumerable<KeyValuePair<string, int>> Own => _vars;

    public bool TryResolve(string name, out int slot)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out slot))
            {
                return true;
            }
        }

        slot = -1;
        return false;
    }

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
