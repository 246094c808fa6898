namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// The builtins an engine knows, by name. The default registry is built once and shared;
/// a program may build its own (for instance to add a builtin) with <see cref="CreateDefault"/> and <see cref="Add(BuiltinDefinition)"/>.
/// </summary>
public sealed class BuiltinRegistry
{
    private readonly Dictionary<string, BuiltinDefinition> _byName = new(StringComparer.Ordinal);

    public static BuiltinRegistry Default { get; } = CreateDefault();

    public IEnumerable<BuiltinDefinition> All => _byName.Values;

    public static BuiltinRegistry CreateDefault()
    {
        var registry = new BuiltinRegistry();

        // One family per file; each file registers its own builtins.
        ComparisonBuiltins.Register(registry);
        InternalBuiltins.Register(registry);
        ArithmeticBuiltins.Register(registry);
        BitsBuiltins.Register(registry);
        AggregateBuiltins.Register(registry);
        ArrayBuiltins.Register(registry);
        SetBuiltins.Register(registry);
        ObjectBuiltins.Register(registry);
        TypeBuiltins.Register(registry);
        UnitsBuiltins.Register(registry);
        StringBuiltins.Register(registry);
        SprintfBuiltin.Register(registry);
        RegexBuiltins.Register(registry);
        GlobBuiltins.Register(registry);
        EncodingBuiltins.Register(registry);
        JsonBuiltins.Register(registry);
        WalkBuiltins.Register(registry);
        GraphBuiltins.Register(registry);
        TimeBuiltins.Register(registry);
        NetBuiltins.Register(registry);
        SemverBuiltins.Register(registry);
        UuidBuiltins.Register(registry);
        CryptoBuiltins.Register(registry);
        JwtBuiltins.Register(registry);
        X509Builtins.Register(registry);
        return registry;
    }

    public void Add(BuiltinDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!_byName.TryAdd(definition.Name, definition))
        {
            throw new InvalidOperationException($"builtin {definition.Name} is registered twice");
        }
    }

    public void Add(string name, int arity, BuiltinFunction function) => Add(new BuiltinDefinition(name, arity, function));

    public bool TryGet(string name, out BuiltinDefinition definition) => _byName.TryGetValue(name, out definition!);

    public bool Contains(string name) => _byName.ContainsKey(name);
}
