using System.Text.Json;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Engine;

/// <summary>RegoJson.Parse's contract: a value, or <see cref="JsonException"/> for anything it cannot represent.</summary>
public sealed class RegoJsonTests
{
    // Found by fuzzing (tests/fuzz, targets decision and opa): invalid UTF-8 in a string or key threw
    // InvalidOperationException, and a syntactically valid number beyond RegoNumber's range threw FormatException.
    [Theory]
    [InlineData("22FF22")] // "\xFF"
    [InlineData("7B22FF223A317D")] // {"\xFF":1}
    [InlineData("5B2261C322")] // ["a\xC3" (truncated two-byte sequence, then the end)
    [InlineData("5B2261C3225D")] // ["a\xC3"]
    [InlineData("316534303030305D")] // 1e40000]
    [InlineData("31653430303030")] // 1e40000
    [InlineData("5B2D31652B3939393939395D")] // [-1e+999999]
    public void UnrepresentableJson_JsonException(string hex)
    {
        var utf8 = Convert.FromHexString(hex);

        Assert.ThrowsAny<JsonException>(() => RegoJson.Parse(utf8));
    }

    [Fact]
    public void UnrepresentableJsonElement_JsonException()
    {
        using var invalidUtf8 = JsonDocument.Parse(Convert.FromHexString("5B22FF225D"));
        using var hugeNumber = JsonDocument.Parse("[1e40000]");

        Assert.ThrowsAny<JsonException>(() => RegoJson.FromElement(invalidUtf8.RootElement));
        Assert.ThrowsAny<JsonException>(() => RegoJson.FromElement(hugeNumber.RootElement));
    }

    [Fact]
    public void LargeButRepresentableNumbers_Kept()
    {
        var value = Assert.IsType<RegoArray>(RegoJson.Parse("[1e300, 1.5e3, -2e40, 123456789012345678901234567890]"));

        Assert.Equal("1" + new string('0', 300), RegoJson.Serialize(value.Items[0]));
        Assert.Equal("[1500,-20000000000000000000000000000000000000000,123456789012345678901234567890]", RegoJson.Serialize(new RegoArray(value.Items[1..].ToArray())));
    }

    [Fact]
    public void TryParse_FalseForOutOfRangeNumber()
    {
        Assert.False(RegoJson.TryParse("[1e40000]", out var value));
        Assert.Same(RegoNull.Instance, value);
    }
}
