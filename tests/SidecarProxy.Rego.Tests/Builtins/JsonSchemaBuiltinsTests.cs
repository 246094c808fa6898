using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class JsonSchemaBuiltinsTests
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "id": {"type": "integer", "minimum": 1},
            "name": {"type": "string", "maxLength": 3, "pattern": "^[a-z]+$"},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true},
            "kind": {"$ref": "#/definitions/kind"}
          },
          "required": ["id"],
          "additionalProperties": false,
          "definitions": {"kind": {"const": "x"}}
        }
        """;

    [Fact]
    public void VerifySchema_ValidAndInvalid()
    {
        AssertValue("[true,null]", Call("json.verify_schema", S("""{"type": "boolean"}""")));
        AssertValue("[true,null]", Call("json.verify_schema", J(Schema)));
        AssertValue(
            """[false,"jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ Expected valid values are:[array boolean integer number null object string]"]""",
            Call("json.verify_schema", J("""{"type": "unknown_type"}""")));
        AssertValue("""[false,"jsonschema: invalid JSON string"]""", Call("json.verify_schema", S("{")));
        AssertValue("""[false,"jsonschema: wrong type, expected string or object"]""", Call("json.verify_schema", N(1)));
    }

    [Fact]
    public void MatchSchema_ValidDocument()
    {
        AssertValue("[true,[]]", Call("json.match_schema", J("""{"id": 5, "name": "abc", "tags": ["a"], "kind": "x"}"""), J(Schema)));
        AssertValue("[true,[]]", Call("json.match_schema", S("""{"id": 5}"""), S(Schema)));
    }

    [Fact]
    public void MatchSchema_ReportsErrorsLikeGojsonschema()
    {
        var result = Call("json.match_schema", J("""{"id": "foo"}"""), J(Schema));
        AssertValue(
            """[false,[{"desc":"Invalid type. Expected: integer, given: string","error":"id: Invalid type. Expected: integer, given: string","field":"id","type":"invalid_type"}]]""",
            result);
    }

    [Fact]
    public void MatchSchema_CollectsEveryViolation()
    {
        var result = (RegoArray)Call("json.match_schema", J("""{"id": 0, "name": "ABCD", "tags": ["a", "a", "c"], "kind": "y", "extra": 1}"""), J(Schema))!;
        Assert.Equal(RegoBoolean.False, result[0]);
        var types = ((RegoArray)result[1]).Items.ToArray().Select(e => ((RegoString)((RegoObject)e)["type"]!).Value).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["additional_property_not_allowed", "const", "enum", "number_gte", "pattern", "string_lte", "unique"], types);
    }

    [Fact]
    public void MatchSchema_MissingRequired_IsReportedAtRoot()
    {
        AssertValue(
            """[false,[{"desc":"id is required","error":"(root): id is required","field":"(root)","type":"required"}]]""",
            Call("json.match_schema", J("{}"), J(Schema)));
    }

    [Fact]
    public void MatchSchema_ScalarDocumentValue_IsBuiltinError()
    {
        Assert.Equal("wrong type, expected string or object", Throws<BuiltinErrorException>("json.match_schema", N(2), J("{}")).Message);
    }

    [Fact]
    public void MatchSchema_InvalidSchema_IsBuiltinError()
    {
        var ex = Throws<BuiltinErrorException>("json.match_schema", J("{}"), J("""{"type": "unknown"}"""));
        Assert.StartsWith("has a primitive type that is NOT VALID", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchSchema_Combinators()
    {
        var schema = J("""{"anyOf": [{"type": "string"}, {"type": "integer"}], "not": {"const": 3}}""");
        AssertValue("[true,[]]", Call("json.match_schema", S("2"), schema));
        var result = (RegoArray)Call("json.match_schema", S("3"), schema)!;
        Assert.Equal(RegoBoolean.False, result[0]);
        result = (RegoArray)Call("json.match_schema", S("true"), J("""{"oneOf": [{"type": "boolean"}, {"const": true}]}"""))!;
        Assert.Equal(RegoBoolean.False, result[0]);
    }

    [Fact]
    public void MatchSchema_NestedEnumAndTypeLists()
    {
        var schema = J("""{"properties": {"a": {"properties": {"b": {"enum": ["x", 1]}}}, "c": {"type": ["string", "null"]}}}""");
        AssertValue(
            """[false,[{"desc":"a.b must be one of the following: \"x\", 1","error":"a.b: a.b must be one of the following: \"x\", 1","field":"a.b","type":"enum"},{"desc":"Invalid type. Expected: [string,null], given: integer","error":"c: Invalid type. Expected: [string,null], given: integer","field":"c","type":"invalid_type"}]]""",
            Call("json.match_schema", J("""{"a": {"b": "y"}, "c": 1}"""), schema));
    }
}
