using System.Numerics;

namespace SidecarProxy.Rego.Values;

/// <summary>
/// Arithmetic on Rego numbers as OPA does it: integers exactly (big integers), anything else in
/// 64-bit-mantissa binary floating point with OPA's shortest decimal result (see <see cref="RegoNumberMathFloat"/>).
/// Callers check for a zero divisor first (<see cref="IsZero"/>); OPA reports that as a builtin error.
/// </summary>
public static class RegoNumberMath
{
    public static bool IsZero(RegoNumber n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return n.IsInteger && n.Integer.IsZero;
    }

    public static RegoNumber Add(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.IsInteger && b.IsInteger
            ? RegoNumber.FromInteger(a.Integer + b.Integer)
            : (RegoNumberMathFloat.From(a) + RegoNumberMathFloat.From(b)).ToRegoNumber();
    }

    public static RegoNumber Subtract(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.IsInteger && b.IsInteger
            ? RegoNumber.FromInteger(a.Integer - b.Integer)
            : (RegoNumberMathFloat.From(a) - RegoNumberMathFloat.From(b)).ToRegoNumber();
    }

    public static RegoNumber Multiply(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.IsInteger && b.IsInteger
            ? RegoNumber.FromInteger(a.Integer * b.Integer)
            : (RegoNumberMathFloat.From(a) * RegoNumberMathFloat.From(b)).ToRegoNumber();
    }

    /// <summary>a / b: exact when b divides a, otherwise the rounded binary quotient. Throws <see cref="DivideByZeroException"/> for b = 0.</summary>
    public static RegoNumber Divide(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (IsZero(b))
        {
            throw new DivideByZeroException();
        }

        if (a.IsInteger && b.IsInteger)
        {
            var q = BigInteger.DivRem(a.Integer, b.Integer, out var r);
            if (r.IsZero)
            {
                return RegoNumber.FromInteger(q);
            }

            // One rounding of the exact quotient.
            return RegoNumberMathFloat.Quotient(a.Integer, b.Integer).ToRegoNumber();
        }

        return (RegoNumberMathFloat.From(a) / RegoNumberMathFloat.From(b)).ToRegoNumber();
    }

    /// <summary>True when both are integers (OPA's % is defined only on integers).</summary>
    public static bool CanRemainder(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.IsInteger && b.IsInteger;
    }

    /// <summary>Truncated remainder (sign of the dividend), as Go's big.Int Rem. Integers only; b must not be 0.</summary>
    public static RegoNumber Remainder(RegoNumber a, RegoNumber b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!CanRemainder(a, b))
        {
            throw new ArgumentException("modulo on floating-point number");
        }

        if (IsZero(b))
        {
            throw new DivideByZeroException();
        }

        return RegoNumber.FromInteger(BigInteger.Remainder(a.Integer, b.Integer));
    }

    public static RegoNumber Abs(RegoNumber a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.IsInteger ? RegoNumber.FromInteger(BigInteger.Abs(a.Integer)) : RegoNumberMathFloat.From(a).Abs().ToRegoNumber();
    }

    /// <summary>Rounds half away from zero, by adding or subtracting 0.5 in 64-bit binary and truncating, as OPA does.</summary>
    public static RegoNumber Round(RegoNumber a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.IsInteger)
        {
            return a;
        }

        var f = RegoNumberMathFloat.From(a);
        var shifted = f.IsNegative ? f - RegoNumberMathFloat.Half : f + RegoNumberMathFloat.Half;
        return RegoNumber.FromInteger(shifted.Truncate());
    }

    /// <summary>
    /// OPA's ceil: truncate, then add one unless the truncation is negative or exact. For -1 &lt; a &lt; 0 the
    /// truncation is 0 (not negative), so OPA answers 1; that is kept for parity with OPA.
    /// </summary>
    public static RegoNumber Ceil(RegoNumber a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.IsInteger)
        {
            return a;
        }

        var i = RegoNumberMathFloat.From(a).Truncate();
        return RegoNumber.FromInteger(i.Sign < 0 ? i : i + 1);
    }

    /// <summary>
    /// OPA's floor: truncate, then subtract one only when the truncation is negative and inexact. For
    /// -1 &lt; a &lt; 0 the truncation is 0, so OPA answers 0; that is kept for parity with OPA.
    /// </summary>
    public static RegoNumber Floor(RegoNumber a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.IsInteger)
        {
            return a;
        }

        var i = RegoNumberMathFloat.From(a).Truncate();
        return RegoNumber.FromInteger(i.Sign >= 0 ? i : i - 1);
    }
}
