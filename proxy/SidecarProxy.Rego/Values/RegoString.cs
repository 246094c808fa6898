using System.Text;

namespace SidecarProxy.Rego.Values;

public sealed class RegoString : RegoValue
{
    public static readonly RegoString Empty = new(string.Empty);

    private int _hash;

    public RegoString(string value) => Value = value ?? throw new ArgumentNullException(nameof(value));

    public string Value { get; }

    public override RegoKind Kind => RegoKind.String;

    // OPA compares strings by bytes of their UTF-8 form; ordinal UTF-16 comparison differs only for
    // surrogate pairs against U+E000..U+FFFF, which we accept.
    private protected override int CompareSameKind(RegoValue other) => string.CompareOrdinal(Value, ((RegoString)other).Value);

    private protected override bool EqualsSameKind(RegoValue other) => string.Equals(Value, ((RegoString)other).Value, StringComparison.Ordinal);

    // Cached: strings are object keys looked up on every evaluation.
    public override int GetHashCode()
    {
        var h = _hash;
        if (h == 0)
        {
            h = StringComparer.Ordinal.GetHashCode(Value) | 1;
            _hash = h;
        }

        return h;
    }

    public override void WriteRego(StringBuilder sb) => RegoJson.WriteJsonString(sb, Value);
}
