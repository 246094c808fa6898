using SidecarProxy.Policy.Opa;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Tests.Policy;

/// <summary>OpaClient.Parse, the pure reader of OPA's Data API reply: every bad body is an OpaClientException.</summary>
public sealed class OpaResponseParseTests
{
    [Fact]
    public void ResultAndDecisionId_Read()
    {
        var reply = OpaClient.Parse("{\"result\":{\"allowed\":true},\"decision_id\":\"d-1\"}"u8);

        Assert.Equal("d-1", reply.DecisionId);
        var result = Assert.IsType<RegoObject>(reply.Result);
        Assert.True(result.TryGetValue("allowed", out var allowed) && allowed is RegoBoolean { Value: true });
    }

    [Fact]
    public void NoResult_Undefined()
    {
        var reply = OpaClient.Parse("{}"u8);

        Assert.Null(reply.Result);
        Assert.Null(reply.DecisionId);
    }

    // Found by fuzzing (tests/fuzz, targets opa and decision): invalid UTF-8 inside a JSON string (a value or a key)
    // threw InvalidOperationException and a number beyond RegoNumber's range threw FormatException, both past the
    // JsonException handler, so a broken OPA reply surfaced as an unexpected exception instead of OpaClientException.
    [Theory]
    [InlineData("7B22726573756C74223A22FF227D")] // {"result":"\xFF"}
    [InlineData("7B22FF223A317D")] // {"\xFF":1}
    [InlineData("7B22726573756C74223A7B22616C6C6F776564223A22C3227D7D")] // {"result":{"allowed":"\xC3"}}
    [InlineData("7B22726573756C74223A316534303030307D")] // {"result":1e40000}
    [InlineData("7B22726573756C74223A5B302E3165393939393939393939395D7D")] // {"result":[0.1e9999999999]}
    [InlineData("7B22726573756C74223A747275652C")] // {"result":true,
    [InlineData("5B747275655D")] // [true]
    public void BrokenReply_OpaClientException(string hex)
    {
        var body = Convert.FromHexString(hex);

        var ex = Assert.Throws<OpaClientException>(() => OpaClient.Parse(body));

        Assert.StartsWith("OPA replied with", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("1e4", ex.Message, StringComparison.Ordinal);
    }
}
