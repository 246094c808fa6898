using System.Text.RegularExpressions;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class UuidBuiltinsTests
{
    [Fact]
    public void Rfc4122_SameSeedSameQuery_SameValue_DifferentQuery_NewValue()
    {
        var context = NewContext();
        var a = Assert.IsType<RegoString>(Call(context, "uuid.rfc4122", S("key")));
        var b = Call(context, "uuid.rfc4122", S("key"));
        var c = Call(context, "uuid.rfc4122", S("other"));
        var d = Call(NewContext(), "uuid.rfc4122", S("key"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"), a.Value);
    }

    [Theory]
    [InlineData("00000000-0000-4000-8000-000000000000")]
    [InlineData("{00000000-0000-4000-8000-000000000000}")]
    [InlineData("urn:uuid:00000000-0000-4000-8000-000000000000")]
    [InlineData("00000000000040008000000000000000")]
    public void Parse_V4InAnyForm(string text)
    {
        AssertValue("""{"variant":"RFC4122","version":4}""", Call("uuid.parse", S(text)));
    }

    [Fact]
    public void Parse_V2_DecodesTimeNodeAndDomain()
    {
        AssertValue(
            """{"clocksequence":12800,"domain":"Person","id":1000,"macvariables":"local:unicast","nodeid":"32-50-96-b3-9f-47","time":1693566990121469600,"variant":"RFC4122","version":2}""",
            Call("uuid.parse", S("000003e8-48b9-21ee-b200-325096b39f47")));
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("00000000-0000-4000-8000-00000000000g")]
    [InlineData("00000000+0000-4000-8000-000000000000")]
    public void Parse_Invalid_IsUndefined(string text)
    {
        Assert.Null(Call("uuid.parse", S(text)));
    }
}
