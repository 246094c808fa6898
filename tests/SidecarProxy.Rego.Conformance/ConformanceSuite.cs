using SidecarProxy.Rego.Values;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SidecarProxy.Rego.Conformance;

/// <summary>Loads the conformance YAML files under <see cref="ConformanceFolder"/>, keeping scalars exact (quoted = string, plain = number/bool/null).</summary>
public static class ConformanceSuite
{
    private static readonly Lazy<ConformanceFolder> Folder = new(ConformanceFolder.Locate);
    private static readonly Lazy<IReadOnlyDictionary<string, ConformanceCase>> AllCases = new(LoadAll);

    public static ConformanceFolder Location => Folder.Value;

    /// <summary>Every case by id ("folder/file.yaml#index"); empty when no folder was found.</summary>
    public static IReadOnlyDictionary<string, ConformanceCase> Cases => AllCases.Value;

    private static Dictionary<string, ConformanceCase> LoadAll()
    {
        var result = new Dictionary<string, ConformanceCase>(StringComparer.Ordinal);
        var root = Location.Path;
        if (root is null)
        {
            return result;
        }

        foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            foreach (var c in LoadFile(file, rel))
            {
                result[c.Id] = c;
            }
        }

        return result;
    }

    public static IEnumerable<ConformanceCase> LoadFile(string path, string relativeName)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            yield break;
        }

        if (!root.Children.TryGetValue(new YamlScalarNode("cases"), out var casesNode) || casesNode is not YamlSequenceNode cases)
        {
            yield break;
        }

        var index = 0;
        foreach (var node in cases)
        {
            var m = (YamlMappingNode)node;
            string? Str(string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;
            YamlNode? Node(string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

            var modules = new List<string>();
            if (Node("modules") is YamlSequenceNode ms)
            {
                modules.AddRange(ms.Children.Select(x => ((YamlScalarNode)x).Value ?? string.Empty));
            }

            var input = Node("input");
            var data = Node("data");
            var want = Node("want_result");
            yield return new ConformanceCase
            {
                Id = $"{relativeName}#{index}",
                Note = Str("note"),
                Query = Str("query") ?? string.Empty,
                Modules = modules,
                Data = data is null ? null : ToValue(data),
                Input = input is null ? null : ToValue(input),
                InputTerm = Str("input_term"),
                WantResult = want is null ? null : ToValue(want),
                WantErrorCode = Str("want_error_code"),
                WantError = Str("want_error"),
                StrictError = Str("strict_error") == "true",
                SortBindings = Str("sort_bindings") == "true",
            };
            index++;
        }
    }

    public static RegoValue ToValue(YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode s:
                {
                    var text = s.Value ?? string.Empty;
                    if (s.Style is ScalarStyle.Plain)
                    {
                        switch (text)
                        {
                            case "null" or "~" or "":
                                return RegoNull.Instance;
                            case "true":
                                return RegoBoolean.True;
                            case "false":
                                return RegoBoolean.False;
                        }

                        if (RegoNumber.TryParse(text, out var n))
                        {
                            return n;
                        }
                    }

                    return new RegoString(text);
                }

            case YamlSequenceNode seq:
                return new RegoArray(seq.Children.Select(ToValue).ToArray());
            case YamlMappingNode map:
                {
                    var dict = new Dictionary<RegoValue, RegoValue>();
                    foreach (var (k, v) in map.Children)
                    {
                        dict[new RegoString(((YamlScalarNode)k).Value ?? string.Empty)] = ToValue(v);
                    }

                    return new RegoObject(dict);
                }

            default:
                throw new InvalidDataException($"unsupported YAML node {node.NodeType}");
        }
    }
}
