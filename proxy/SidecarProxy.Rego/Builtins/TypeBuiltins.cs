using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>is_number, is_string, ..., type_name.</summary>
internal static class TypeBuiltins
{
    private static readonly RegoString[] Names =
    [
        new("null"), new("boolean"), new("number"), new("string"), new("array"), new("object"), new("set"),
    ];

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("is_number", 1, static (_, a) => RegoBoolean.From(a[0] is RegoNumber));
        registry.Add("is_string", 1, static (_, a) => RegoBoolean.From(a[0] is RegoString));
        registry.Add("is_boolean", 1, static (_, a) => RegoBoolean.From(a[0] is RegoBoolean));
        registry.Add("is_array", 1, static (_, a) => RegoBoolean.From(a[0] is RegoArray));
        registry.Add("is_set", 1, static (_, a) => RegoBoolean.From(a[0] is RegoSet));
        registry.Add("is_object", 1, static (_, a) => RegoBoolean.From(a[0] is RegoObject));
        registry.Add("is_null", 1, static (_, a) => RegoBoolean.From(a[0] is RegoNull));
        registry.Add("type_name", 1, static (_, a) => a[0].Kind switch
        {
            RegoKind.Null => Names[0],
            RegoKind.Boolean => Names[1],
            RegoKind.Number => Names[2],
            RegoKind.String => Names[3],
            RegoKind.Array => Names[4],
            RegoKind.Object => Names[5],
            _ => Names[6],
        });
        registry.Add("to_number", 1, ToNumber);
    }

    private static RegoValue ToNumber(BuiltinContext context, RegoValue[] args) => args[0] switch
    {
        RegoNull => RegoNumber.Zero,
        RegoBoolean b => b.Value ? RegoNumber.One : RegoNumber.Zero,
        RegoNumber n => n,
        RegoString s => ParseNumber(s.Value),
        _ => throw Operands.TypeError(args, 0, "one of {null, boolean, number, string}"),
    };

    private static RegoNumber ParseNumber(string text)
    {
        // Go's strconv.ParseFloat syntax: optional sign, digits, fraction, exponent (no spaces, no Inf/NaN here).
        var t = text.StartsWith('+') ? text[1..] : text;
        if (t.Length == 0 || t.Contains(' ', StringComparison.Ordinal) || !RegoNumber.TryParse(t, out var n))
        {
            throw new BuiltinErrorException($"strconv.ParseFloat: parsing {Quote(text)}: invalid syntax");
        }

        return n;
    }

    private static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder();
        RegoJson.WriteJsonString(sb, s);
        return sb.ToString();
    }
}
