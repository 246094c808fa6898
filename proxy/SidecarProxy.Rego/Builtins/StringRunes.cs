using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Code-point helpers. OPA (Go) indexes strings by rune where .NET indexes by UTF-16 unit, so builtins that
/// count or slice characters work on code points to agree with OPA on text outside the BMP.
/// </summary>
internal static class StringRunes
{
    public static int[] ToRunes(string s)
    {
        var list = new List<int>(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            list.Add(rune.Value);
        }

        return list.ToArray();
    }

    public static string FromRunes(ReadOnlySpan<int> runes)
    {
        var sb = new StringBuilder(runes.Length);
        foreach (var r in runes)
        {
            AppendRune(sb, r);
        }

        return sb.ToString();
    }

    public static void AppendRune(StringBuilder sb, int rune)
    {
        if (Rune.IsValid(rune))
        {
            sb.Append(new Rune(rune).ToString());
        }
        else
        {
            sb.Append('\uFFFD');
        }
    }

    public static bool IsAscii(string s)
    {
        foreach (var c in s)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    public static int Count(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            n++;
        }

        return n;
    }

    /// <summary>The UTF-16 index of the code point at rune index <paramref name="runeIndex"/> (or s.Length past the end).</summary>
    public static int Utf16Offset(string s, int runeIndex)
    {
        var i = 0;
        var r = 0;
        while (i < s.Length && r < runeIndex)
        {
            i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            r++;
        }

        return i;
    }

    /// <summary>The number of runes in s[..utf16Index].</summary>
    public static int RuneIndex(string s, int utf16Index)
    {
        var n = 0;
        for (var i = 0; i < utf16Index; i++)
        {
            if (!(char.IsLowSurrogate(s[i]) && i > 0 && char.IsHighSurrogate(s[i - 1])))
            {
                n++;
            }
        }

        return n;
    }
}
