using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// json.marshal/unmarshal/is_valid/marshal_with_options (OPA's topdown/encoding.go) and
/// json.filter/remove/patch (topdown/json.go), json.verify_schema/match_schema (topdown/jsonschema.go).
/// </summary>
internal static class JsonBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("json.marshal", 1, (_, a) => new RegoString(JsonGoWriter.Marshal(a[0])));
        registry.Add("json.marshal_with_options", 2, MarshalWithOptions);
        registry.Add("json.unmarshal", 1, (_, a) => Unmarshal(Operands.String(a, 0)));
        registry.Add("json.is_valid", 1, (_, a) => RegoBoolean.From(a[0] is RegoString s && JsonGoReader.IsValid(s.Value)));
        registry.Add("json.filter", 2, Filter);
        registry.Add("json.remove", 2, Remove);
        registry.Add("json.patch", 2, (_, a) => JsonPatch.Apply(a[0], Operands.Array(a, 1)));
        registry.Add("json.verify_schema", 1, VerifySchema);
        registry.Add("json.match_schema", 2, MatchSchema);
    }

    // A schema or document is JSON text or an object/array value.
    private static RegoValue LoadSchemaOperand(RegoValue value) => value switch
    {
        RegoString s => JsonGoReader.IsValid(s.Value) ? JsonGoReader.Parse(s.Value) : throw new FormatException("invalid JSON string"),
        RegoObject or RegoArray => value,
        _ => throw new FormatException("wrong type, expected string or object"),
    };

    private static RegoArray VerifySchema(BuiltinContext context, RegoValue[] args)
    {
        try
        {
            JsonSchema.Compile(LoadSchemaOperand(args[0]));
            return new RegoArray([RegoBoolean.True, RegoNull.Instance]);
        }
        catch (FormatException ex)
        {
            return new RegoArray([RegoBoolean.False, new RegoString("jsonschema: " + ex.Message)]);
        }
    }

    private static RegoArray MatchSchema(BuiltinContext context, RegoValue[] args)
    {
        try
        {
            var document = LoadSchemaOperand(args[0]);
            var schema = JsonSchema.Compile(LoadSchemaOperand(args[1]));
            var errors = schema.Validate(document);
            var items = errors.Select(e => (RegoValue)RegoObject.FromStrings(
            [
                new("error", new RegoString(JsonSchema.Describe(e))),
                new("type", new RegoString(e.Type)),
                new("field", new RegoString(e.Field)),
                new("desc", new RegoString(e.Description)),
            ])).ToArray();
            return new RegoArray([RegoBoolean.From(items.Length == 0), new RegoArray(items)]);
        }
        catch (FormatException ex)
        {
            throw new BuiltinErrorException(ex.Message, ex);
        }
    }

    private static RegoValue Unmarshal(string text)
    {
        try
        {
            return JsonGoReader.Parse(text);
        }
        catch (JsonGoReader.SyntaxException ex)
        {
            throw new BuiltinErrorException(ex.Message, ex);
        }
    }

    private static RegoString MarshalWithOptions(BuiltinContext context, RegoValue[] args)
    {
        var options = Operands.Object(args, 1);
        var indent = "\t";
        var prefix = string.Empty;
        var implicitPretty = false;
        bool? explicitPretty = null;
        var index = -1;
        foreach (var (k, v) in options.Entries)
        {
            // OPA reports the option's position where an operand number would go.
            index++;
            if (k is not RegoString key)
            {
                throw new BuiltinTypeException($"operand 2 failed to stringify key {k} at index {index}: operand {index} must be string but got {k.TypeName}");
            }

            switch (key.Value)
            {
                case "prefix":
                    prefix = v is RegoString p ? p.Value : throw new BuiltinTypeException($"operand 2 key prefix failed cast to string: operand {index} must be string but got {v.TypeName}");
                    implicitPretty = true;
                    break;
                case "indent":
                    indent = v is RegoString i ? i.Value : throw new BuiltinTypeException($"operand 2 key indent failed cast to string: operand {index} must be string but got {v.TypeName}");
                    implicitPretty = true;
                    break;
                case "pretty":
                    explicitPretty = v is RegoBoolean b ? b.Value : throw new BuiltinTypeException("operand 2 key pretty failed cast to bool");
                    break;
                default:
                    throw new BuiltinTypeException($"operand 2 object contained unknown key {key}");
            }
        }

        var pretty = explicitPretty ?? implicitPretty;
        return new RegoString(pretty ? prefix + JsonGoWriter.MarshalIndent(args[0], prefix, indent) : JsonGoWriter.Marshal(args[0]));
    }

    private static RegoValue Filter(BuiltinContext context, RegoValue[] args)
    {
        var obj = Operands.Object(args, 0);
        var filter = JsonPaths.ToTree(JsonPaths.Parse(args, 1));
        return FilterValue(obj, filter);
    }

    private static RegoValue FilterValue(RegoValue value, JsonPaths.Node? filter)
    {
        JsonStackGuard.Ensure();
        if (filter is null)
        {
            return value;
        }

        switch (value)
        {
            case RegoArray a:
                {
                    var items = new List<RegoValue>();
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (filter.Children.TryGetValue(JsonPaths.IndexKey(i), out var sub))
                        {
                            items.Add(FilterValue(a[i], sub));
                        }
                    }

                    return new RegoArray(items.ToArray());
                }

            case RegoSet s:
                {
                    var items = new List<RegoValue>();
                    foreach (var item in s.Items)
                    {
                        if (filter.Children.TryGetValue(item, out var sub))
                        {
                            items.Add(FilterValue(item, sub));
                        }
                    }

                    return RegoSet.From(items);
                }

            case RegoObject o:
                {
                    var map = new Dictionary<RegoValue, RegoValue>();
                    foreach (var (k, v) in o.Entries)
                    {
                        if (filter.Children.TryGetValue(k, out var sub))
                        {
                            map[k] = FilterValue(v, sub);
                        }
                    }

                    return new RegoObject(map);
                }

            default:
                return value;
        }
    }

    private static RegoValue? Remove(BuiltinContext context, RegoValue[] args)
    {
        Operands.Object(args, 0);
        var paths = JsonPaths.ToTree(JsonPaths.Parse(args, 1));
        return RemoveValue(args[0], paths, present: true);
    }

    // present=false means the remove tree has no entry here (the paths diverged): keep the value.
    private static RegoValue? RemoveValue(RegoValue value, JsonPaths.Node? remove, bool present)
    {
        JsonStackGuard.Ensure();
        if (!present)
        {
            return value;
        }

        if (remove is null)
        {
            return null; // a leaf of the remove tree: drop this value
        }

        switch (value)
        {
            case RegoObject o:
                {
                    var map = new Dictionary<RegoValue, RegoValue>();
                    foreach (var (k, v) in o.Entries)
                    {
                        var found = remove.Children.TryGetValue(k, out var sub);
                        var kept = RemoveValue(v, sub, found);
                        if (kept is not null)
                        {
                            map[k] = kept;
                        }
                    }

                    return new RegoObject(map);
                }

            case RegoSet s:
                {
                    var items = new List<RegoValue>();
                    foreach (var item in s.Items)
                    {
                        var found = remove.Children.TryGetValue(item, out var sub);
                        var kept = RemoveValue(item, sub, found);
                        if (kept is not null)
                        {
                            items.Add(kept);
                        }
                    }

                    return RegoSet.From(items);
                }

            case RegoArray a:
                {
                    // Removed indexes close up, as JSON Patch removal does.
                    var items = new List<RegoValue>();
                    for (var i = 0; i < a.Count; i++)
                    {
                        var found = remove.Children.TryGetValue(JsonPaths.IndexKey(i), out var sub);
                        var kept = RemoveValue(a[i], sub, found);
                        if (kept is not null)
                        {
                            items.Add(kept);
                        }
                    }

                    return new RegoArray(items.ToArray());
                }

            default:
                return value;
        }
    }
}
