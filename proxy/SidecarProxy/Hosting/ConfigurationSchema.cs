using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using SidecarProxy.Configuration;
using SidecarProxy.Credentials;

namespace SidecarProxy.Hosting;


/// <summary>
/// Every key the sidecar reads under <c>Sidecar</c>, derived by reflection from the options records bound to
/// each section. Used at start-up to refuse unknown keys (with a "did you mean" suggestion) and to check every
/// value against its property's type before binding, so that every bad value is listed, not only the first one
/// the configuration binder meets.
/// </summary>
/// <remarks>
/// A section is found in two ways: an options type of this assembly with a <c>public const string SectionName</c>
/// equal to <c>Sidecar</c> or starting with <c>Sidecar:</c> (the convention every options record follows), and
/// <see cref="ExtraSections"/> for shapes the convention cannot express. A new options record that declares
/// its <c>SectionName</c> needs no change here; one that does not needs one line in <see cref="ExtraSections"/>.
/// Keys compare case-insensitively, as ASP.NET Core configuration does.
/// </remarks>
internal static class ConfigurationSchema
{
    public const string Root = "Sidecar";

    private const string AnyName = "*";

    // Sections whose shape the SectionName convention cannot express: (path, options type); "*" is any name.
    private static readonly (string Path, Type Type)[] ExtraSections =
    [
        // Every child of Sidecar:Credentials is a provider, except the keys of CredentialsOptions itself.
        ($"{CredentialsOptions.SectionName}:{AnyName}", typeof(CredentialProviderOptions)),
    ];

    // After ExtraSections, which Discover reads.
    /// <summary>Every (section path, options type) the schema is made of.</summary>
    public static IReadOnlyList<(string Path, Type Type)> Sections { get; } = Discover();

    private static readonly Lazy<IReadOnlyList<(string[] Path, Node Node)>> SectionNodes = new(() =>
        [.. Sections.Select(s => (s.Path.Split(':'), (Node)new ObjectNode(s.Type)))]);

    private static readonly Lazy<IReadOnlyList<string[]>> Patterns = new(() =>
        [.. SectionNodes.Value.SelectMany(s => Enumerate(s.Node, [.. s.Path], depth: 0))
            .DistinctBy(p => string.Join(':', p), StringComparer.OrdinalIgnoreCase)]);

    /// <summary>Every known key, with <c>&lt;name&gt;</c> for free names (dictionary keys, list indexes).</summary>
    public static IEnumerable<string> KnownKeys =>
        Patterns.Value.Select(p => string.Join(':', p.Select(s => s == AnyName ? "<name>" : s))).Order(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Checks every key with a value under <c>Sidecar</c>: unknown keys and values that do not convert to their
    /// property's type. <see cref="ConfigurationCheck.InvalidValues"/> maps each key whose value is bad to its
    /// default, so the caller can bind that instead and go on validating everything else.
    /// </summary>
    public static ConfigurationCheck Check(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>();
        var invalid = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var leaves = configuration.GetSection(Root).AsEnumerable()
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in leaves)
        {
            var segments = key.Split(':');
            var nodes = Resolve(segments);
            if (nodes.Count == 0)
            {
                var suggestion = Suggest(segments);
                errors.Add(suggestion is null
                    ? $"{key}: unknown configuration key"
                    : $"{key}: unknown configuration key; did you mean '{suggestion}'?");
                continue;
            }

            // A key that several records read (Sidecar:Identity is two of them) is fine when any type accepts it.
            var values = nodes.Where(n => n.Node is ValueNode).ToList();
            var problems = values.Select(n => ValueProblem(value!, ((ValueNode)n.Node).Type)).ToList();
            if (problems.Count > 0 && problems.All(p => p is not null))
            {
                errors.Add($"{key}: {problems[0]}");

                // The property's default, so that nothing downstream complains about the bad value a second time.
                invalid[key] = Format(values[0].Default, ((ValueNode)values[0].Node).Type);
            }
        }

        return new ConfigurationCheck(errors, invalid);
    }

    private static List<(string Path, Type Type)> Discover()
    {
        var conventional = typeof(ConfigurationSchema).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => (Path: (string)x.Field!.GetRawConstantValue()!, x.Type))
            .Where(x => string.Equals(x.Path, Root, StringComparison.OrdinalIgnoreCase)
                || x.Path.StartsWith(Root + ":", StringComparison.OrdinalIgnoreCase));
        return [.. conventional.Concat(ExtraSections).OrderBy(s => s.Path, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Type.Name, StringComparer.Ordinal)];
    }

    // The nodes a key reaches, each with the default value its options record gives it (null when unknown).
    private static List<(Node Node, object? Default)> Resolve(string[] key)
    {
        var found = new List<(Node, object?)>();
        foreach (var (path, node) in SectionNodes.Value)
        {
            if (key.Length < path.Length || !PrefixMatches(path, key))
            {
                continue;
            }

            if (Walk(node, New(((ObjectNode)node).Type), key, path.Length) is { } end)
            {
                found.Add(end);
            }
        }

        return found;
    }

    private static object? New(Type type)
    {
        try
        {
            return Activator.CreateInstance(type);
        }
        catch (Exception e) when (e is MissingMethodException or TargetInvocationException or ArgumentException)
        {
            return null;
        }
    }

    private static bool PrefixMatches(string[] path, string[] key)
    {
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] != AnyName && !string.Equals(path[i], key[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static (Node Node, object? Default)? Walk(Node node, object? instance, string[] key, int index)
    {
        if (index == key.Length)
        {
            return (node, instance);
        }

        switch (node)
        {
            case ObjectNode o when o.Property(key[index]) is { } property:
                return Walk(o.Child(key[index])!, instance is null ? null : property.GetValue(instance), key, index + 1);
            case MapNode m:
                return Walk(m.Value, null, key, index + 1);
            case ListNode l:
                return Walk(l.Element, null, key, index + 1);
            default:
                return null;
        }
    }

    private static string? Format(object? value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        value ??= Nullable.GetUnderlyingType(type) is null && target.IsValueType ? Activator.CreateInstance(target) : null;
        return value is null ? string.Empty : TypeDescriptor.GetConverter(target).ConvertToInvariantString(value);
    }

    private static IEnumerable<string[]> Enumerate(Node node, List<string> prefix, int depth)
    {
        switch (node)
        {
            case ValueNode or ListNode { Element: ValueNode }:
                yield return [.. prefix];
                break;
            case ObjectNode o when depth < 8:
                foreach (var (name, child, _) in o.Children)
                {
                    foreach (var p in Enumerate(child, [.. prefix, name], depth + 1))
                    {
                        yield return p;
                    }
                }

                break;
            case MapNode m when depth < 8:
                foreach (var p in Enumerate(m.Value, [.. prefix, AnyName], depth + 1))
                {
                    yield return p;
                }

                break;
            case ListNode l when depth < 8:
                foreach (var p in Enumerate(l.Element, [.. prefix, AnyName], depth + 1))
                {
                    yield return p;
                }

                break;
        }
    }

    // The closest known key with as many segments, free names taken from the key itself; null when none is close.
    private static string? Suggest(string[] key)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var pattern in Patterns.Value)
        {
            if (pattern.Length != key.Length)
            {
                continue;
            }

            var candidate = new string[key.Length];
            var differing = 0;
            for (var i = 0; i < key.Length; i++)
            {
                candidate[i] = pattern[i] == AnyName ? key[i] : pattern[i];
                if (!string.Equals(candidate[i], key[i], StringComparison.OrdinalIgnoreCase))
                {
                    differing += Math.Max(candidate[i].Length, key[i].Length);
                }
            }

            var distance = Distance(string.Join(':', key).ToUpperInvariant(), string.Join(':', candidate).ToUpperInvariant());
            if (distance > 0 && distance <= Math.Clamp(differing / 3, 1, 3) && distance < bestDistance)
            {
                best = string.Join(':', candidate);
                bestDistance = distance;
            }
        }

        return best;
    }

    // Optimal string alignment distance: Levenshtein plus adjacent transpositions ("Listne" is one edit from "Listen").
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    // What the configuration binder would say, as one line; null when it converts. Mirrors the binder: an empty
    // value is null for a nullable type, anything else goes through the type's TypeConverter, invariant culture.
    // Only values of non-string types are checked, and only numbers, TimeSpans, booleans and enums are echoed:
    // no key that can hold a secret is of those types.
    private static string? ValueProblem(string value, Type type)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        var target = nullable ?? type;
        if (target == typeof(string) || target == typeof(object) || (nullable is not null && value.Length == 0))
        {
            return null;
        }

        try
        {
            _ = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException
            or InvalidOperationException or UriFormatException)
        {
            var shown = Show(value);
            return target switch
            {
                _ when target == typeof(TimeSpan) => $"{shown} is not a valid TimeSpan (e.g. 00:00:00.250 or 00:05:00)",
                _ when target == typeof(bool) => $"{shown} is not a valid boolean (true or false)",
                _ when target == typeof(int) || target == typeof(long) || target == typeof(short) || target == typeof(byte)
                    || target == typeof(uint) || target == typeof(ulong) || target == typeof(ushort) =>
                    $"{shown} is not a valid integer (e.g. 10000)",
                _ when target == typeof(double) || target == typeof(float) || target == typeof(decimal) => $"{shown} is not a valid number",
                _ when target.IsEnum => $"{shown} is not one of {string.Join(", ", Enum.GetNames(target))}",
                _ when target == typeof(Uri) => "is not a valid URL",
                _ => $"is not a valid {target.Name}",
            };
        }
    }

    private static string Show(string value)
    {
        var line = value.ReplaceLineEndings(" ");
        return "'" + (line.Length > 60 ? line[..60] + "..." : line) + "'";
    }

    private static Node NodeFor(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(target))
        {
            return new ValueNode(type);
        }

        if (target.IsArray)
        {
            return new ListNode(NodeFor(target.GetElementType()!));
        }

        if (Dictionary(target) is { } valueType)
        {
            return new MapNode(NodeFor(valueType));
        }

        if (target != typeof(string) && typeof(IEnumerable).IsAssignableFrom(target) && Element(target) is { } element)
        {
            return new ListNode(NodeFor(element));
        }

        return new ObjectNode(target);
    }

    private static bool IsScalar(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(object)
        || (!typeof(IEnumerable).IsAssignableFrom(type) && TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)));

    private static Type? Dictionary(Type type) =>
        (Generic(type, typeof(IDictionary<,>)) ?? Generic(type, typeof(IReadOnlyDictionary<,>)))?[1];

    private static Type? Element(Type type) => Generic(type, typeof(IEnumerable<>))?[0];

    private static Type[]? Generic(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type.GetGenericArguments();
        }

        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();
    }

    private abstract record Node;

    private sealed record ValueNode(Type Type) : Node;

    private sealed record MapNode(Node Value) : Node;

    private sealed record ListNode(Node Element) : Node;

    private sealed record ObjectNode(Type Type) : Node
    {
        private IReadOnlyList<(string Name, Node Node, PropertyInfo Property)>? _children;

        // The properties the binder sets: settable (init counts), or get-only holding a section or a collection.
        public IReadOnlyList<(string Name, Node Node, PropertyInfo Property)> Children => _children ??= [.. Type
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<NotAConfigurationKeyAttribute>() is null)
            .Where(p => p.SetMethod is { IsPublic: true } || !IsScalar(Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType))
            .Select(p => (p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, NodeFor(p.PropertyType), p))];

        public Node? Child(string name) =>
            Children.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).Node;

        public PropertyInfo? Property(string name) =>
            Children.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).Property;
    }
}

/// <summary>The outcome of <see cref="ConfigurationSchema.Check"/>: one line per problem, and the keys with bad values.</summary>
/// <summary>
/// The outcome of <see cref="ConfigurationSchema.Check"/>: one line per problem, and for each key with a bad value
/// the value to bind instead (its default), so that the rest of the configuration can still be validated.
/// </summary>
internal sealed record ConfigurationCheck(IReadOnlyList<string> Errors, IReadOnlyDictionary<string, string?> InvalidValues);
