using System.Globalization;
using System.Numerics;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// A semantic version as OPA parses it: an optional leading "v", MAJOR.MINOR.PATCH as 64-bit integers,
/// then optional "-pre.release" and "+build" identifiers of [0-9A-Za-z-].
/// </summary>
internal readonly record struct SemverVersion(long Major, long Minor, long Patch, string PreRelease)
{
    public static bool TryParse(string text, out SemverVersion version)
    {
        version = default;
        var s = text.StartsWith('v') ? text[1..] : text;
        var plus = s.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            var metadata = s[(plus + 1)..];
            s = s[..plus];
            if (metadata.Length > 0 && !ValidIdentifiers(metadata))
            {
                return false;
            }
        }

        var pre = string.Empty;
        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            pre = s[(dash + 1)..];
            s = s[..dash];
            if (pre.Length > 0 && !ValidIdentifiers(pre))
            {
                return false;
            }
        }

        var parts = s.Split('.');
        if (parts.Length != 3 || !ParseInt64(parts[0], out var major) || !ParseInt64(parts[1], out var minor) || !ParseInt64(parts[2], out var patch))
        {
            return false;
        }

        version = new SemverVersion(major, minor, patch, pre);
        return true;
    }

    // strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits.
    private static bool ParseInt64(string s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool ValidIdentifiers(string s)
    {
        foreach (var part in s.Split('.'))
        {
            if (part.Length == 0)
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public int CompareTo(SemverVersion other)
    {
        var c = Major.CompareTo(other.Major);
        c = c != 0 ? c : Minor.CompareTo(other.Minor);
        c = c != 0 ? c : Patch.CompareTo(other.Patch);
        if (c != 0)
        {
            return Math.Sign(c);
        }

        if (PreRelease == other.PreRelease)
        {
            return 0;
        }

        // A version without a pre-release outranks the same version with one.
        if (PreRelease.Length == 0)
        {
            return 1;
        }

        if (other.PreRelease.Length == 0)
        {
            return -1;
        }

        var a = PreRelease.Split('.');
        var b = other.PreRelease.Split('.');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var aNum = IsNumeric(a[i]);
            var bNum = IsNumeric(b[i]);
            if (aNum != bNum)
            {
                return aNum ? -1 : 1; // numeric identifiers rank below alphanumeric ones
            }

            var r = aNum ? BigInteger.Parse(a[i], CultureInfo.InvariantCulture).CompareTo(BigInteger.Parse(b[i], CultureInfo.InvariantCulture)) : string.CompareOrdinal(a[i], b[i]);
            if (r != 0)
            {
                return Math.Sign(r);
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    private static bool IsNumeric(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}
