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

    [Fact]
    public void TimeFormatThenParse_InZonesAndLayouts_IsIdentity()
    {
        string[] zones = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"];
        string[] layouts = ["RFC3339Nano", "2006-01-02 15:04:05.000000000 -07:00:00", "Monday, 02-Jan-2006 03:04:05.999999999 PM Z0700"];
        Gen.Select(Gen.Long[-4_000_000_000_000_000_000, 4_000_000_000_000_000_000], Gen.Int[0, zones.Length - 1], Gen.Int[0, layouts.Length - 1]).Sample((ns, z, l) =>
        {
            var formatted = Call("time.format", Arr(N(ns), S(zones[z]), S(layouts[l])))!;
            Assert.Equal(N(ns), Call("time.parse_ns", S(layouts[l]), formatted));
        });
    }

    [Fact]
    public void CidrContainsItsAddressesAndNotTheNextBlock()
    {
        Gen.Select(Gen.UInt, Gen.Int[8, 32]).Sample((address, prefix) =>
        {
            var size = 1UL << (32 - prefix);
            var first = address & ~(uint)(size - 1);
            static string Ip(ulong v) => $"{(v >> 24) & 255}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}";
            var cidr = S($"{Ip(first)}/{prefix}");
            Assert.Equal(RegoBoolean.True, Call("net.cidr_contains", cidr, S(Ip(address))));
            Assert.Equal(RegoBoolean.True, Call("net.cidr_contains", cidr, S(Ip(first + size - 1))));
            if (first + size <= uint.MaxValue)
            {
                Assert.Equal(RegoBoolean.False, Call("net.cidr_contains", cidr, S(Ip(first + size))));
            }

            // The two halves of a block merge back into it.
            if (prefix < 32)
            {
                var half = size / 2;
                var halves = Arr(S($"{Ip(first)}/{prefix + 1}"), S($"{Ip(first + half)}/{prefix + 1}"));
                Assert.Equal(Set(cidr), Call("net.cidr_merge", halves));
            }
        });
    }
}
