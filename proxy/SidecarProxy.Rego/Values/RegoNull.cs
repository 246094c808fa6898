using System.Text;

namespace SidecarProxy.Rego.Values;

public sealed class RegoNull : RegoValue
{
    public static readonly RegoNull Instance = new();

    private RegoNull()
    {
    }

    public override RegoKind Kind => RegoKind.Null;

    private protected override int CompareSameKind(RegoValue other) => 0;

    public override int GetHashCode() => 0x5A5A;

    public override void WriteRego(StringBuilder sb) => sb.Append("null");
}
