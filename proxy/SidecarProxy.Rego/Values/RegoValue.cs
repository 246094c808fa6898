using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace SidecarProxy.Rego.Values;

/// <summary>The kind of a Rego value, in OPA's sort order (v1/ast/compare.go).</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The kinds are Rego's own type names (string, object).")]
public enum RegoKind
{
    Null = 0,
    Boolean = 1,
    Number = 2,
    String = 3,
    Array = 6,
    Object = 7,
    Set = 8,
}

/// <summary>
/// An immutable Rego value: null, boolean, number, string, array, object or set.
/// Values are totally ordered as OPA orders them and compare by value (1 equals 1.0).
/// Instances are immutable and safe to share between threads and evaluations.
/// </summary>
public abstract class RegoValue : IComparable<RegoValue>, IEquatable<RegoValue>
{
    private protected RegoValue()
    {
    }

    public abstract RegoKind Kind { get; }

    /// <summary>OPA's type name, as used in error messages ("string", "number", "object", ...).</summary>
    public string TypeName => Kind switch
    {
        RegoKind.Null => "null",
        RegoKind.Boolean => "boolean",
        RegoKind.Number => "number",
        RegoKind.String => "string",
        RegoKind.Array => "array",
        RegoKind.Object => "object",
        RegoKind.Set => "set",
        _ => "unknown",
    };

    public int CompareTo(RegoValue? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (ReferenceEquals(this, other))
        {
            return 0;
        }

        if (Kind != other.Kind)
        {
            return Kind.CompareTo(other.Kind);
        }

        return CompareSameKind(other);
    }

    /// <summary>Compares with a value of the same kind.</summary>
    private protected abstract int CompareSameKind(RegoValue other);

    public bool Equals(RegoValue? other)
    {
        if (other is null)
        {
            return false;
        }

        if (ReferenceEquals(this, other))
        {
            return true;
        }

        // Strings are most of the keys looked up and compared: no virtual calls for them.
        if (this is RegoString s)
        {
            return other is RegoString o && string.Equals(s.Value, o.Value, StringComparison.Ordinal);
        }

        return Kind == other.Kind && EqualsSameKind(other);
    }

    private protected virtual bool EqualsSameKind(RegoValue other) => CompareSameKind(other) == 0;

    public override bool Equals(object? obj) => obj is RegoValue v && Equals(v);

    public abstract override int GetHashCode();

    /// <summary>The value written as Rego source text (sets as <c>{1, 2}</c>, empty set as <c>set()</c>).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        WriteRego(sb);
        return sb.ToString();
    }

    /// <summary>Appends the value as Rego source text.</summary>
    public abstract void WriteRego(StringBuilder sb);

    /// <summary>The value as compact JSON (sets become sorted arrays, non-string object keys become their JSON text).</summary>
    public string ToJson() => RegoJson.Serialize(this);

    public static bool operator ==(RegoValue? left, RegoValue? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(RegoValue? left, RegoValue? right) => !(left == right);

    public static bool operator <(RegoValue left, RegoValue right) => Compare(left, right) < 0;

    public static bool operator <=(RegoValue left, RegoValue right) => Compare(left, right) <= 0;

    public static bool operator >(RegoValue left, RegoValue right) => Compare(left, right) > 0;

    public static bool operator >=(RegoValue left, RegoValue right) => Compare(left, right) >= 0;

    public static int Compare(RegoValue? left, RegoValue? right) => left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    // Convenience constructors.
    public static RegoValue Null => RegoNull.Instance;

    public static RegoBoolean From(bool value) => value ? RegoBoolean.True : RegoBoolean.False;

    public static RegoString From(string value) => new(value);

    public static RegoNumber From(long value) => RegoNumber.FromLong(value);

    public static RegoNumber From(double value) => RegoNumber.FromDouble(value);
}
