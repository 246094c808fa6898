using System.Text;

namespace SidecarProxy.Rego.Values;

public sealed class RegoBoolean : RegoValue
{
    public static readonly RegoBoolean True = new(true);
    public static readonly RegoBoolean False = new(false);

    private RegoBoolean(bool value) => Value = value;

    public bool Value { get; }

    public override RegoKind Kind => RegoKind.Boolean;

    public static new RegoBoolean From(bool value) => value ? True : False;

    private protected override int CompareSameKind(RegoValue other) => Value.CompareTo(((RegoBoolean)other).Value);

    public override int GetHashCode() => Value ? 1231 : 1237;

    public override void WriteRego(StringBuilder sb) => sb.Append(Value ? "true" : "false");
}
