using CsCheck;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

/// <summary>Round-trip properties of the encoding, JSON, YAML and time builtins over generated values.</summary>
public sealed class EncodingPropertyTests
{
    // Well-formed text only: lone surrogates cannot survive UTF-8, in Go or here.
    private static readonly Gen<string> Text = Gen.String[Gen.Char.Where(c => !char.IsSurrogate(c)), 0, 40];

    private static readonly Gen<RegoValue> Scalar = Gen.OneOf(
        Gen.Const<RegoValue>(RegoNull.Instance),
        Gen.Bool.Select(b => (RegoValue)RegoBoolean.From(b)),
        Gen.Long.Select(l => (RegoValue)RegoNumber.FromLong(l)),
        Gen.Double[-1e9, 1e9].Select(d => (RegoValue)RegoNumber.FromDouble(d)),
        Text.Select(s => (RegoValue)new RegoString(s)));

    private static readonly Gen<RegoValue> Document = Gen.OneOf(
        Scalar,
        Scalar.Array[0, 5].Select(a => (RegoValue)new RegoArray(a)),
        Gen.Select(Text, Scalar).Array[0, 5].Select(kvs => (RegoValue)RegoObject.FromStrings(kvs.Select(kv => new KeyValuePair<string, RegoValue>(kv.Item1, kv.Item2)))),
        Gen.Select(Text, Scalar.Array[0, 3]).Array[0, 3].Select(kvs => (RegoValue)RegoObject.FromStrings(kvs.Select(kv => new KeyValuePair<string, RegoValue>(kv.Item1, new RegoArray(kv.Item2))))));

    [Fact]
    public void Base64AndHexAndUrlQuery_RoundTrip()
    {
        Text.Sample(s =>
        {
            var value = S(s);
            Assert.Equal(value, Call("base64.decode", Call("base64.encode", value)!));
            Assert.Equal(value, Call("base64url.decode", Call("base64url.encode_no_pad", value)!));
            Assert.Equal(value, Call("hex.decode", Call("hex.encode", value)!));
            Assert.Equal(value, Call("urlquery.decode", Call("urlquery.encode", value)!));
        });
    }

    [Fact]
    public void JsonMarshalThenUnmarshal_IsIdentity()
    {
        Document.Sample(v => Assert.Equal(v, Call("json.unmarshal", Call("json.marshal", v)!)));
    }

    [Fact]
    public void YamlMarshalThenUnmarshal_IsIdentity()
    {
        Document.Sample(v => Assert.Equal(v, Call("yaml.unmarshal", Call("yaml.marshal", v)!)));
    }

    [Fact]
    public void TimeFormatThenParse_IsIdentity()
    {
        Gen.Long.Sample(ns =>
        {
            var formatted = Call("time.format", N(ns))!;
            Assert.Equal(N(ns), Call("time.parse_rfc3339_ns", formatted));
        });
    }

    [Fact]
    public void TimeDate_AgreesWithDateTimeOffset()
    {
        // DateTimeOffset covers every int64-nanosecond instant (years 1677..2262).
        Gen.Long.Sample(ns =>
        {
            var expected = DateTimeOffset.UnixEpoch.AddTicks(Math.DivRem(ns, 100L, out var rem) - (rem < 0 ? 1 : 0));
            Assert.Equal(Arr(N(expected.Year), N(expected.Month), N(expected.Day)), Call("time.date", N(ns)));
            Assert.Equal(Arr(N(expected.Hour), N(expected.Minute), N(expected.Second)), Call("time.clock", N(ns)));
            Assert.Equal(S(expected.DayOfWeek.ToString()), Call("time.weekday", N(ns)));
        });
    }
}
