using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// A JSON Schema (draft-04 to draft-07 keywords) validator reporting errors as gojsonschema does, for
/// json.verify_schema and json.match_schema. References are local only ("#", "#/definitions/..."): schemas may come
/// from input, so nothing is fetched.
/// </summary>
internal sealed class JsonSchema
{
    private static readonly string[] ValidTypes = ["array", "boolean", "integer", "null", "number", "object", "string"];

    private readonly RegoValue _root;

    private JsonSchema(RegoValue root) => _root = root;

    /// <summary>One validation error: gojsonschema's type, field ("(root)", "a.b.0") and description.</summary>
    public sealed record Error(string Type, string Field, string Description);

    /// <summary>Checks the schema's own structure; throws <see cref="FormatException"/> with gojsonschema's message.</summary>
    public static JsonSchema Compile(RegoValue schema)
    {
        Check(schema, 0);
        return new JsonSchema(schema);
    }

    public List<Error> Validate(RegoValue document)
    {
        var errors = new List<Error>();
        Validate(_root, document, [], errors, 0);
        return errors;
    }

    private static void Check(RegoValue schema, int depth)
    {
        if (depth > 200)
        {
            throw new FormatException("schema nested too deeply");
        }

        if (schema is RegoBoolean)
        {
            return;
        }

        if (schema is not RegoObject o)
        {
            throw new FormatException("Invalid type. Expected: object, given: " + TypeOf(schema));
        }

        if (o["type"] is { } type)
        {
            var names = type switch
            {
                RegoString s => [s],
                RegoArray a => a.Items.ToArray(),
                _ => throw new FormatException("Invalid type. Expected: string/array of strings, given: type"),
            };
            foreach (var n in names)
            {
                if (n is not RegoString ns || !ValidTypes.Contains(ns.Value))
                {
                    var given = n is RegoString gs ? gs.Value : n.ToJson();
                    throw new FormatException($"has a primitive type that is NOT VALID -- given: /{given}/ Expected valid values are:[array boolean integer number null object string]");
                }
            }
        }

        if (o["required"] is { } required && (required is not RegoArray ra || ra.Items.ToArray().Any(x => x is not RegoString)))
        {
            throw new FormatException("Invalid type. Expected: array of strings, given: required");
        }

        if (o["pattern"] is RegoString pattern)
        {
            _ = CompilePattern(pattern.Value);
        }

        foreach (var key in new[] { "properties", "patternProperties", "definitions", "dependencies" })
        {
            if (o[key] is RegoObject children)
            {
                foreach (var (_, child) in children.Entries)
                {
                    if (key != "dependencies" || child is not RegoArray)
                    {
                        Check(child, depth + 1);
                    }
                }
            }
        }

        foreach (var key in new[] { "additionalProperties", "additionalItems", "not", "if", "then", "else", "contains", "propertyNames" })
        {
            if (o[key] is { } child && child is RegoObject or RegoBoolean)
            {
                Check(child, depth + 1);
            }
        }

        foreach (var key in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (o[key] is { } list)
            {
                if (list is not RegoArray { Count: > 0 } arr)
                {
                    throw new FormatException($"{key} must be an array with at least one schema");
                }

                foreach (var child in arr.Items)
                {
                    Check(child, depth + 1);
                }
            }
        }

        if (o["items"] is { } items)
        {
            foreach (var child in items is RegoArray ia ? ia.Items.ToArray() : [items])
            {
                Check(child, depth + 1);
            }
        }
    }

    private static Regex CompilePattern(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw new FormatException($"Invalid regex pattern '{pattern}'", ex);
        }
    }

    private void Validate(RegoValue schema, RegoValue value, List<string> path, List<Error> errors, int depth)
    {
        if (depth > 200)
        {
            throw new FormatException("schema references nested too deeply");
        }

        if (schema is RegoBoolean b)
        {
            if (!b.Value)
            {
                Add(errors, "false", path, "False always fails validation");
            }

            return;
        }

        if (schema is not RegoObject s)
        {
            return;
        }

        if (s["$ref"] is RegoString reference)
        {
            Validate(Resolve(reference.Value), value, path, errors, depth + 1);
            return;
        }

        if (s["type"] is { } type && !MatchesType(type, value))
        {
            // gojsonschema lists several allowed types as "[a,b]".
            var expected = type is RegoString ts ? ts.Value : "[" + string.Join(",", ((RegoArray)type).Items.ToArray().Select(x => ((RegoString)x).Value)) + "]";
            Add(errors, "invalid_type", path, $"Invalid type. Expected: {expected}, given: {TypeOf(value)}");
            return;
        }

        ValidateCombinators(s, value, path, errors, depth);

        if (s["const"] is { } constant && !constant.Equals(value))
        {
            Add(errors, "const", path, $"{FieldName(path)} does not match: {constant.ToJson()}");
        }

        if (s["enum"] is RegoArray allowed && !allowed.Items.ToArray().Contains(value))
        {
            var list = string.Join(", ", allowed.Items.ToArray().Select(x => x.ToJson()));
            Add(errors, "enum", path, $"{FieldName(path)} must be one of the following: {list}");
        }

        switch (value)
        {
            case RegoObject o:
                ValidateObject(s, o, path, errors, depth);
                break;
            case RegoArray a:
                ValidateArray(s, a, path, errors, depth);
                break;
            case RegoString str:
                ValidateString(s, str.Value, path, errors);
                break;
            case RegoNumber n:
                ValidateNumber(s, n, path, errors);
                break;
        }
    }

    private RegoValue Resolve(string reference)
    {
        if (reference == "#")
        {
            return _root;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new FormatException($"References to other documents are not supported: {reference}");
        }

        var current = _root;
        foreach (var raw in reference[2..].Split('/'))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            current = current switch
            {
                RegoObject o when o[part] is { } next => next,
                RegoArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw new FormatException($"Object has no key '{part}'"),
            };
        }

        return current;
    }

    private bool IsValid(RegoValue schema, RegoValue value, List<string> path, int depth)
    {
        var scratch = new List<Error>();
        Validate(schema, value, path, scratch, depth + 1);
        return scratch.Count == 0;
    }

    private void ValidateCombinators(RegoObject s, RegoValue value, List<string> path, List<Error> errors, int depth)
    {
        if (s["anyOf"] is RegoArray anyOf && !anyOf.Items.ToArray().Any(x => IsValid(x, value, path, depth)))
        {
            Add(errors, "number_any_of", path, "Must validate at least one schema (anyOf)");
        }

        if (s["oneOf"] is RegoArray oneOf && oneOf.Items.ToArray().Count(x => IsValid(x, value, path, depth)) != 1)
        {
            Add(errors, "number_one_of", path, "Must validate one and only one schema (oneOf)");
        }

        if (s["allOf"] is RegoArray allOf && !allOf.Items.ToArray().All(x => IsValid(x, value, path, depth)))
        {
            Add(errors, "number_all_of", path, "Must validate all the schemas (allOf)");
        }

        if (s["not"] is { } not && IsValid(not, value, path, depth))
        {
            Add(errors, "number_not", path, "Must not validate the schema (not)");
        }

        if (s["if"] is { } condition)
        {
            if (IsValid(condition, value, path, depth))
            {
                if (s["then"] is { } then && !IsValid(then, value, path, depth))
                {
                    Add(errors, "condition_then", path, "Must validate \"then\" as \"if\" was valid");
                }
            }
            else if (s["else"] is { } otherwise && !IsValid(otherwise, value, path, depth))
            {
                Add(errors, "condition_else", path, "Must validate \"else\" as \"if\" was not valid");
            }
        }
    }

    private void ValidateObject(RegoObject s, RegoObject o, List<string> path, List<Error> errors, int depth)
    {
        if (s["maxProperties"] is RegoNumber max && o.Count > max.Double)
        {
            Add(errors, "array_max_properties", path, $"Must have at most {max} properties");
        }

        if (s["minProperties"] is RegoNumber min && o.Count < min.Double)
        {
            Add(errors, "array_min_properties", path, $"Must have at least {min} properties");
        }

        if (s["required"] is RegoArray required)
        {
            foreach (var r in required.Items)
            {
                if (!o.ContainsKey(r))
                {
                    Add(errors, "required", path, $"{((RegoString)r).Value} is required");
                }
            }
        }

        if (s["dependencies"] is RegoObject dependencies)
        {
            foreach (var (key, dependency) in dependencies.Entries)
            {
                if (!o.ContainsKey(key))
                {
                    continue;
                }

                if (dependency is RegoArray names)
                {
                    foreach (var name in names.Items)
                    {
                        if (!o.ContainsKey(name))
                        {
                            Add(errors, "missing_dependency", path, $"Has a dependency on {((RegoString)name).Value}");
                        }
                    }
                }
                else
                {
                    Validate(dependency, o, path, errors, depth + 1);
                }
            }
        }

        var properties = s["properties"] as RegoObject;
        var patterns = s["patternProperties"] as RegoObject;
        foreach (var (key, value) in o.Entries)
        {
            var name = key is RegoString ks ? ks.Value : key.ToJson();
            var matched = false;
            if (properties?[key] is { } propertySchema)
            {
                matched = true;
                Validate(propertySchema, value, [.. path, name], errors, depth + 1);
            }

            if (patterns is not null)
            {
                foreach (var (pattern, patternSchema) in patterns.Entries)
                {
                    if (pattern is RegoString p && CompilePattern(p.Value).IsMatch(name))
                    {
                        matched = true;
                        Validate(patternSchema, value, [.. path, name], errors, depth + 1);
                    }
                }
            }

            if (!matched && s["additionalProperties"] is { } additional)
            {
                if (additional is RegoBoolean { Value: false })
                {
                    Add(errors, "additional_property_not_allowed", path, $"Additional property {name} is not allowed");
                }
                else
                {
                    Validate(additional, value, [.. path, name], errors, depth + 1);
                }
            }

            if (s["propertyNames"] is { } propertyNames && !IsValid(propertyNames, new RegoString(name), path, depth))
            {
                Add(errors, "invalid_property_name", path, $"Property name of \"{name}\" does not match");
            }
        }
    }

    private void ValidateArray(RegoObject s, RegoArray a, List<string> path, List<Error> errors, int depth)
    {
        if (s["minItems"] is RegoNumber min && a.Count < min.Double)
        {
            Add(errors, "array_min_items", path, $"Array must have at least {min} items");
        }

        if (s["maxItems"] is RegoNumber max && a.Count > max.Double)
        {
            Add(errors, "array_max_items", path, $"Array must have at most {max} items");
        }

        if (s["uniqueItems"] is RegoBoolean { Value: true })
        {
            for (var i = 0; i < a.Count; i++)
            {
                for (var j = i + 1; j < a.Count; j++)
                {
                    if (a[i].Equals(a[j]))
                    {
                        Add(errors, "unique", path, $"array items[{i},{j}] must be unique");
                        i = a.Count;
                        break;
                    }
                }
            }
        }

        switch (s["items"])
        {
            case RegoArray tuple:
                for (var i = 0; i < a.Count; i++)
                {
                    var itemPath = new List<string>(path) { i.ToString(CultureInfo.InvariantCulture) };
                    if (i < tuple.Count)
                    {
                        Validate(tuple[i], a[i], itemPath, errors, depth + 1);
                    }
                    else if (s["additionalItems"] is RegoBoolean { Value: false })
                    {
                        Add(errors, "array_no_additional_items", path, "No additional items allowed on array");
                        break;
                    }
                    else if (s["additionalItems"] is RegoObject additional)
                    {
                        Validate(additional, a[i], itemPath, errors, depth + 1);
                    }
                }

                break;
            case { } itemSchema:
                for (var i = 0; i < a.Count; i++)
                {
                    Validate(itemSchema, a[i], [.. path, i.ToString(CultureInfo.InvariantCulture)], errors, depth + 1);
                }

                break;
        }

        if (s["contains"] is { } contains && !a.Items.ToArray().Any(x => IsValid(contains, x, path, depth)))
        {
            Add(errors, "contains", path, "At least one of the items must match");
        }
    }

    private static void ValidateString(RegoObject s, string value, List<string> path, List<Error> errors)
    {
        var length = new StringInfo(value).LengthInTextElements;
        if (s["minLength"] is RegoNumber min && length < min.Double)
        {
            Add(errors, "string_gte", path, $"String length must be greater than or equal to {min}");
        }

        if (s["maxLength"] is RegoNumber max && length > max.Double)
        {
            Add(errors, "string_lte", path, $"String length must be less than or equal to {max}");
        }

        if (s["pattern"] is RegoString pattern && !CompilePattern(pattern.Value).IsMatch(value))
        {
            Add(errors, "pattern", path, $"Does not match pattern '{pattern.Value}'");
        }

        if (s["format"] is RegoString format && !JsonSchemaFormats.Matches(format.Value, value))
        {
            Add(errors, "format", path, $"Does not match format '{format.Value}'");
        }
    }

    private static void ValidateNumber(RegoObject s, RegoNumber n, List<string> path, List<Error> errors)
    {
        if (s["multipleOf"] is RegoNumber m && !IsMultiple(n, m))
        {
            Add(errors, "multiple_of", path, $"Must be a multiple of {m}");
        }

        // Draft-04 spells exclusive bounds as booleans next to minimum/maximum; later drafts as numbers.
        if (s["maximum"] is RegoNumber max)
        {
            if (s["exclusiveMaximum"] is RegoBoolean { Value: true } ? n.CompareTo(max) >= 0 : n.CompareTo(max) > 0)
            {
                var exclusive = s["exclusiveMaximum"] is RegoBoolean { Value: true };
                Add(errors, exclusive ? "number_lt" : "number_lte", path, exclusive ? $"Must be less than {max}" : $"Must be less than or equal to {max}");
            }
        }

        if (s["exclusiveMaximum"] is RegoNumber exMax && n.CompareTo(exMax) >= 0)
        {
            Add(errors, "number_lt", path, $"Must be less than {exMax}");
        }

        if (s["minimum"] is RegoNumber min)
        {
            if (s["exclusiveMinimum"] is RegoBoolean { Value: true } ? n.CompareTo(min) <= 0 : n.CompareTo(min) < 0)
            {
                var exclusive = s["exclusiveMinimum"] is RegoBoolean { Value: true };
                Add(errors, exclusive ? "number_gt" : "number_gte", path, exclusive ? $"Must be greater than {min}" : $"Must be greater than or equal to {min}");
            }
        }

        if (s["exclusiveMinimum"] is RegoNumber exMin && n.CompareTo(exMin) <= 0)
        {
            Add(errors, "number_gt", path, $"Must be greater than {exMin}");
        }
    }

    private static bool IsMultiple(RegoNumber n, RegoNumber m)
    {
        if (n.IsInteger && m.IsInteger)
        {
            return m.Integer.IsZero || BigInteger.Remainder(n.Integer, m.Integer).IsZero;
        }

        var q = n.Double / m.Double;
        return Math.Abs(q - Math.Round(q)) < 1e-9;
    }

    private static bool MatchesType(RegoValue type, RegoValue value)
    {
        var names = type is RegoArray a ? a.Items.ToArray().OfType<RegoString>().Select(x => x.Value) : [((RegoString)type).Value];
        foreach (var name in names)
        {
            var ok = name switch
            {
                "null" => value is RegoNull,
                "boolean" => value is RegoBoolean,
                "integer" => value is RegoNumber { IsInteger: true },
                "number" => value is RegoNumber,
                "string" => value is RegoString,
                "array" => value is RegoArray or RegoSet,
                "object" => value is RegoObject,
                _ => false,
            };
            if (ok)
            {
                return true;
            }
        }

        return false;
    }

    private static string TypeOf(RegoValue value) => value switch
    {
        RegoNull => "null",
        RegoBoolean => "boolean",
        RegoNumber { IsInteger: true } => "integer",
        RegoNumber => "number",
        RegoString => "string",
        RegoArray or RegoSet => "array",
        _ => "object",
    };

    private static string FieldName(List<string> path) => path.Count == 0 ? "(root)" : string.Join('.', path);

    private static void Add(List<Error> errors, string type, List<string> path, string description) =>
        errors.Add(new Error(type, path.Count == 0 ? "(root)" : string.Join('.', path), description));

    /// <summary>The error as gojsonschema prints it: "field: description".</summary>
    public static string Describe(Error error)
    {
        var sb = new StringBuilder(error.Field).Append(": ").Append(error.Description);
        return sb.ToString();
    }
}
