using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Builds Rego values shaped like Go's <c>encoding/json</c> output for Go structs, as OPA returns them
/// (OPA marshals Go crypto structs to JSON and back): nil slices become null, byte slices base64 strings,
/// big integers exact numbers.
/// </summary>
internal sealed class GoShape
{
    private readonly Dictionary<RegoValue, RegoValue> _map = new();

    public GoShape Add(string name, RegoValue value)
    {
        _map[new RegoString(name)] = value;
        return this;
    }

    public GoShape Add(string name, string value) => Add(name, new RegoString(value));

    public GoShape Add(string name, bool value) => Add(name, RegoBoolean.From(value));

    public GoShape Add(string name, long value) => Add(name, RegoNumber.FromLong(value));

    public RegoObject Build() => new(_map);

    public static RegoValue Bytes(byte[]? bytes) => bytes is null ? RegoNull.Instance : new RegoString(Convert.ToBase64String(bytes));

    public static RegoValue Strings(IReadOnlyCollection<string>? items) =>
        items is null ? RegoNull.Instance : new RegoArray(items.Select(s => (RegoValue)new RegoString(s)).ToArray());

    public static RegoValue Array(IReadOnlyCollection<RegoValue>? items) => items is null ? RegoNull.Instance : new RegoArray(items.ToArray());

    /// <summary>A big-endian unsigned magnitude as an exact number (Go's <c>*big.Int</c>).</summary>
    public static RegoNumber Unsigned(ReadOnlySpan<byte> bigEndian) => RegoNumber.FromInteger(new BigInteger(bigEndian, isUnsigned: true, isBigEndian: true));

    /// <summary>Go's <c>asn1.ObjectIdentifier</c> marshals as an array of integers.</summary>
    public static RegoValue OidArray(string dotted) =>
        new RegoArray(dotted.Split('.').Select(p => (RegoValue)RegoNumber.FromInteger(BigInteger.Parse(p, System.Globalization.CultureInfo.InvariantCulture))).ToArray());
}
