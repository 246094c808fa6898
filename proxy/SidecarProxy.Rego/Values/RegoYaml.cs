using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// YAML to Rego values and back, as OPA's yaml builtins see YAML (sigs.k8s.io/yaml over go-yaml v2, then JSON):
/// plain scalars are typed (true/false/yes/no/on/off, null/~, integers, floats), quoted scalars are strings,
/// timestamps stay strings, mapping keys become strings. Only the first document is read.
/// </summary>
public static partial class RegoYaml
{
    /// <summary>Parses YAML text. Throws <see cref="YamlException"/> on malformed YAML and <see cref="FormatException"/> on values JSON cannot hold.</summary>
    public static RegoValue Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        if (stream.Documents.Count == 0)
        {
            return RegoNull.Instance;
        }

        var budget = new NodeBudget();
        return Convert(stream.Documents[0].RootNode, 0, budget);
    }

    // Aliases share nodes, so a small document can expand enormously ("billion laughs"): cap the expansion.
    private sealed class NodeBudget
    {
        private const int MaxNodes = 1_000_000;
        private int _used;

        public void Spend()
        {
            if (++_used > MaxNodes)
            {
                throw new FormatException("document expands to too many nodes");
            }
        }
    }

    /// <summary>An error message shaped like go-yaml's ("yaml: line 1: did not find expected ',' or ']'").</summary>
    public static string DescribeError(YamlException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.InnerException is YamlException inner ? inner.Message : exception.Message;
        var comma = message.IndexOf(", ", StringComparison.Ordinal);
        if (message.StartsWith("While ", StringComparison.Ordinal) && comma > 0)
        {
            message = message[(comma + 2)..];
        }

        message = message.TrimEnd('.');
        if (message.Length > 0)
        {
            message = char.ToLowerInvariant(message[0]) + message[1..];
        }

        // go-yaml prints a parser error's 0-based line and a scanner error's 1-based line; YamlDotNet's are 1-based.
        var source = exception.InnerException as YamlException ?? exception;
        var line = source is SemanticErrorException ? source.Start.Line - 1 : source.Start.Line;
        return line > 0 ? $"yaml: line {line}: {message}" : $"yaml: {message}";
    }

    private static RegoValue Convert(YamlNode node, int depth, NodeBudget budget)
    {
        budget.Spend();
        if (depth > 1000)
        {
            throw new FormatException("document nested too deeply");
        }

        switch (node)
        {
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            case YamlSequenceNode sequence:
                {
                    var items = new RegoValue[sequence.Children.Count];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = Convert(sequence.Children[i], depth + 1, budget);
                    }

                    return new RegoArray(items);
                }

            case YamlMappingNode mapping:
                {
                    var map = new Dictionary<RegoValue, RegoValue>();
                    var merged = new List<RegoObject>();
                    foreach (var (k, v) in mapping.Children)
                    {
                        if (k is YamlScalarNode { Value: "<<", Style: ScalarStyle.Plain })
                        {
                            // A merge key: its mapping (or sequence of mappings) supplies keys not written here.
                            switch (Convert(v, depth + 1, budget))
                            {
                                case RegoObject o:
                                    merged.Add(o);
                                    break;
                                case RegoArray a when a.Items.ToArray().All(x => x is RegoObject):
                                    merged.AddRange(a.Items.ToArray().Cast<RegoObject>());
                                    break;
                                default:
                                    throw new FormatException("map merge requires map or sequence of maps as the value");
                            }

                            continue;
                        }

                        map[new RegoString(KeyText(k))] = Convert(v, depth + 1, budget);
                    }

                    foreach (var o in merged)
                    {
                        foreach (var (k, v) in o.Entries)
                        {
                            map.TryAdd(k, v);
                        }
                    }

                    return new RegoObject(map);
                }

            default:
                throw new FormatException($"unsupported YAML node {node.NodeType}");
        }
    }

    // sigs.k8s.io/yaml turns non-string keys into their text: 1 -> "1", true -> "true", null -> "null".
    private static string KeyText(YamlNode key) => key switch
    {
        YamlScalarNode s => ConvertScalar(s) switch
        {
            RegoString str => str.Value,
            RegoNull => "null",
            var other => other.ToJson(),
        },
        _ => throw new FormatException("mapping keys must be scalars"),
    };

    private static RegoValue ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str")
        {
            return new RegoString(value);
        }

        if (scalar.Style != ScalarStyle.Plain && tag is null)
        {
            return new RegoString(value);
        }

        return ResolvePlain(value) ?? new RegoString(value);
    }

    /// <summary>
    /// The YAML 1.2 core schema's resolution of a plain scalar; null when it stays a string. (go-yaml v2 would also
    /// read yes/no/on/off/y/n as booleans and 012 as octal; the 1.2 rules avoid those surprises in policy data.)
    /// </summary>
    private static RegoValue? ResolvePlain(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return RegoNull.Instance;
            case "true" or "True" or "TRUE":
                return RegoBoolean.True;
            case "false" or "False" or "FALSE":
                return RegoBoolean.False;
            case ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF":
                throw new FormatException($"json: unsupported value: {s}");
        }

        var c = s[0];
        if (c is not ((>= '0' and <= '9') or '-' or '+' or '.'))
        {
            return null;
        }

        var plain = s;
        if (TryParseGoInt(plain, out var integer))
        {
            return RegoNumber.FromInteger(integer);
        }

        if (FloatPattern().IsMatch(plain) && RegoNumber.TryParse(plain.TrimStart('+'), out var number))
        {
            return number;
        }

        return null;
    }

    // Decimal with an optional sign, or unsigned 0x hexadecimal / 0o octal.
    private static bool TryParseGoInt(string s, out BigInteger value)
    {
        value = BigInteger.Zero;
        var negative = false;
        var body = s;
        if (body.StartsWith('-') || body.StartsWith('+'))
        {
            negative = body[0] == '-';
            body = body[1..];
        }

        if (body.Length == 0)
        {
            return false;
        }

        var radix = 10;
        if (s[0] is '-' or '+' && body.Length > 1 && body[0] == '0' && !char.IsAsciiDigit(body[1]))
        {
            return false;
        }

        if (body.Length > 2 && body[0] == '0' && (body[1] is 'x' or 'X'))
        {
            radix = 16;
            body = body[2..];
        }
        else if (body.Length > 2 && body[0] == '0' && (body[1] is 'o' or 'O'))
        {
            radix = 8;
            body = body[2..];
        }


        foreach (var ch in body)
        {
            var d = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 99,
            };
            if (d >= radix)
            {
                return false;
            }

            value = (value * radix) + d;
        }

        if (negative)
        {
            value = -value;
        }

        return true;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    /// <summary>
    /// Writes a value as YAML in go-yaml v2's block style (keys sorted, sets as sorted sequences).
    /// Throws <see cref="FormatException"/> for values nested too deeply to write.
    /// </summary>
    public static string Serialize(RegoValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder();
        WriteNode(sb, value, 0, inSequence: false);
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, RegoValue value, int indent, bool inSequence)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new FormatException("value nested too deeply");
        }

        switch (value)
        {
            case RegoObject o when o.Count > 0:
                {
                    var first = true;
                    foreach (var (k, v) in SortedEntries(o))
                    {
                        if (!(first && inSequence))
                        {
                            sb.Append(' ', indent);
                        }

                        first = false;
                        sb.Append(Scalar(k, indent)).Append(':');
                        WriteChild(sb, v, indent, parentIsMapping: true);
                    }

                    break;
                }

            case RegoArray or RegoSet when Items(value).Length > 0:
                {
                    var first = true;
                    foreach (var item in Items(value))
                    {
                        if (!(first && inSequence))
                        {
                            sb.Append(' ', indent);
                        }

                        first = false;
                        sb.Append('-');
                        WriteChild(sb, item, indent, parentIsMapping: false);
                    }

                    break;
                }

            default:
                sb.Append(Scalar(value, indent)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder sb, RegoValue v, int indent, bool parentIsMapping)
    {
        var isBlockMapping = v is RegoObject { Count: > 0 };
        var isBlockSequence = (v is RegoArray or RegoSet) && Items(v).Length > 0;
        if (parentIsMapping && isBlockMapping)
        {
            sb.Append('\n');
            WriteNode(sb, v, indent + 2, inSequence: false);
        }
        else if (parentIsMapping && isBlockSequence)
        {
            // go-yaml v2 does not indent a sequence under a mapping key.
            sb.Append('\n');
            WriteNode(sb, v, indent, inSequence: false);
        }
        else if (isBlockMapping || isBlockSequence)
        {
            sb.Append(' ');
            WriteNode(sb, v, indent + 2, inSequence: true);
        }
        else
        {
            sb.Append(' ').Append(Scalar(v, indent + 2)).Append('\n');
        }
    }

    private static ReadOnlySpan<RegoValue> Items(RegoValue v) => v is RegoArray a ? a.Items : ((RegoSet)v).Items;

    private static List<KeyValuePair<string, RegoValue>> SortedEntries(RegoObject o)
    {
        var list = new List<KeyValuePair<string, RegoValue>>(o.Count);
        foreach (var (k, v) in o.Entries)
        {
            list.Add(new(k is RegoString s ? s.Value : k.ToJson(), v));
        }

        list.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        return list;
    }

    private static string Scalar(RegoValue value, int indent) => value switch
    {
        RegoNull => "null",
        RegoBoolean b => b.Value ? "true" : "false",
        RegoNumber n => n.ToNumberString(),
        RegoString s => StringScalar(s.Value, indent),
        RegoObject => "{}",
        RegoArray or RegoSet => "[]",
        _ => throw new ArgumentException("unknown value", nameof(value)),
    };

    private static string Scalar(string key, int indent) => StringScalar(key, indent);

    private static string StringScalar(string s, int indent)
    {
        if (s.Contains('\n', StringComparison.Ordinal) && !NeedsDoubleQuotes(s) && !s.EndsWith("\n\n", StringComparison.Ordinal)
            && !s.Contains(" \n", StringComparison.Ordinal) && !s.Contains("\n ", StringComparison.Ordinal) && !s.EndsWith(' '))
        {
            var sb = new StringBuilder(s.EndsWith('\n') ? "|" : "|-");

            var lines = s.EndsWith('\n') ? s[..^1].Split('\n') : s.Split('\n');
            foreach (var line in lines)
            {
                sb.Append('\n');
                if (line.Length > 0)
                {
                    sb.Append(' ', indent + 2).Append(line);
                }
            }

            return sb.ToString();
        }

        // Words YAML 1.1 readers (go-yaml v2 among them) take as booleans are quoted too, as go-yaml v2 writes them.
        if (ResolvesToNonString(s) || NeedsDoubleQuotes(s) || Yaml11Booleans.Contains(s) || LooksNumeric(s) || s.Contains('\n', StringComparison.Ordinal))
        {
            return DoubleQuoted(s);
        }

        return CanBePlain(s) ? s : "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private static readonly HashSet<string> Yaml11Booleans = new(StringComparer.Ordinal)
    {
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    };

    // YAML 1.1 readers also take 1_000, 0b101 or 017 as numbers: quote anything number-like that 1.2 reads as text.
    private static bool LooksNumeric(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiDigit(s[0]) || s[0] is '-' or '+' or '.'))
        {
            return false;
        }

        var plain = s.Replace("_", string.Empty, StringComparison.Ordinal);
        var body = plain.TrimStart('-', '+');
        if (body.Length > 2 && body[0] == '0' && body[1] is 'b' or 'B')
        {
            return body[2..].All(c => c is '0' or '1');
        }

        if (body.Length > 1 && body[0] == '0' && body.All(char.IsAsciiDigit))
        {
            return true; // 017: octal to a YAML 1.1 reader
        }

        return TryParseGoInt(plain, out _) || FloatPattern().IsMatch(plain);
    }

    private static bool ResolvesToNonString(string s)
    {
        try
        {
            return ResolvePlain(s) is not null;
        }
        catch (FormatException)
        {
            return true;
        }
    }

    private static bool NeedsDoubleQuotes(string s)
    {
        foreach (var c in s)
        {
            if ((c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c is '\uFEFF' or '\u2028' or '\u2029')
            {
                return true;
            }
        }

        return false;
    }

    // Plain style only for unremarkable text; anything that could be read as YAML syntax is single-quoted.
    private static bool CanBePlain(string s)
    {
        if (s.Length == 0 || s[0] is ' ' or '-' or '.' or '+' or '(' or '$' or '=' or '~' or '^' or '/' || s[^1] == ' ')
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(char.IsLetterOrDigit(c) || c is ' ' or '_' or '-' or '.' or '/' or '+' or '(' or ')' or '$' or '=' or '~' or '^'))
            {
                return false;
            }
        }

        return true;
    }

    private static string DoubleQuoted(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
                    {
                        sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
                    }
                    else if (c is '\uFEFF' or '\u2028' or '\u2029')
                    {
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
