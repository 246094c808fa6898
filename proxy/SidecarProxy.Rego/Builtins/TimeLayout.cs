using System.Globalization;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Go reference-time layouts ("2006-01-02T15:04:05Z07:00"): tokenising as time.nextStdChunk, parsing as
/// time.Parse (default location UTC) and formatting as time.Format.
/// </summary>
internal static partial class TimeLayout
{
    public const string Rfc3339 = "2006-01-02T15:04:05Z07:00";
    public const string Rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00";

    private static readonly string[] LongDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] LongMonthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>The layout names OPA accepts in place of a layout.</summary>
    public static string Resolve(string layout) => layout switch
    {
        "ANSIC" => "Mon Jan _2 15:04:05 2006",
        "UnixDate" => "Mon Jan _2 15:04:05 MST 2006",
        "RubyDate" => "Mon Jan 02 15:04:05 -0700 2006",
        "RFC822" => "02 Jan 06 15:04 MST",
        "RFC822Z" => "02 Jan 06 15:04 -0700",
        "RFC850" => "Monday, 02-Jan-06 15:04:05 MST",
        "RFC1123" => "Mon, 02 Jan 2006 15:04:05 MST",
        "RFC1123Z" => "Mon, 02 Jan 2006 15:04:05 -0700",
        "RFC3339" => Rfc3339,
        "RFC3339Nano" => Rfc3339Nano,
        _ => layout,
    };

    private enum Std
    {
        None,
        LongMonth,
        Month,
        NumMonth,
        ZeroMonth,
        LongWeekDay,
        WeekDay,
        Day,
        UnderDay,
        ZeroDay,
        UnderYearDay,
        ZeroYearDay,
        Hour,
        Hour12,
        ZeroHour12,
        Minute,
        ZeroMinute,
        Second,
        ZeroSecond,
        LongYear,
        Year,
        PM,
        Pm,
        TZ,
        ISO8601TZ,
        ISO8601SecondsTZ,
        ISO8601ShortTZ,
        ISO8601ColonTZ,
        ISO8601ColonSecondsTZ,
        NumTZ,
        NumSecondsTz,
        NumShortTZ,
        NumColonTZ,
        NumColonSecondsTZ,
        FracSecond0,
        FracSecond9,
    }

    private readonly record struct Chunk(string Prefix, Std Std, int FracDigits, char FracSeparator, string Suffix, string Text);

    private static Chunk NextChunk(string layout)
    {
        for (var i = 0; i < layout.Length; i++)
        {
            var c = layout[i];
            string Rest(int n) => layout[(i + n)..];
            Chunk Found(Std std, int n) => new(layout[..i], std, 0, '.', Rest(n), layout.Substring(i, n));
            switch (c)
            {
                case 'J':
                    if (At(layout, i, "Jan"))
                    {
                        if (At(layout, i, "January"))
                        {
                            return Found(Std.LongMonth, 7);
                        }

                        if (!StartsWithLower(layout, i + 3))
                        {
                            return Found(Std.Month, 3);
                        }
                    }

                    break;
                case 'M':
                    if (At(layout, i, "Mon"))
                    {
                        if (At(layout, i, "Monday"))
                        {
                            return Found(Std.LongWeekDay, 6);
                        }

                        if (!StartsWithLower(layout, i + 3))
                        {
                            return Found(Std.WeekDay, 3);
                        }
                    }

                    if (At(layout, i, "MST"))
                    {
                        return Found(Std.TZ, 3);
                    }

                    break;
                case '0':
                    if (i + 1 < layout.Length && layout[i + 1] is >= '1' and <= '6')
                    {
                        return Found(layout[i + 1] switch
                        {
                            '1' => Std.ZeroMonth,
                            '2' => Std.ZeroDay,
                            '3' => Std.ZeroHour12,
                            '4' => Std.ZeroMinute,
                            '5' => Std.ZeroSecond,
                            _ => Std.Year,
                        }, 2);
                    }

                    if (At(layout, i, "002"))
                    {
                        return Found(Std.ZeroYearDay, 3);
                    }

                    break;
                case '1':
                    return At(layout, i, "15") ? Found(Std.Hour, 2) : Found(Std.NumMonth, 1);
                case '2':
                    return At(layout, i, "2006") ? Found(Std.LongYear, 4) : Found(Std.Day, 1);
                case '_':
                    if (At(layout, i, "_2"))
                    {
                        // "_2006" is a literal "_" followed by the long year.
                        if (At(layout, i + 1, "2006"))
                        {
                            return new Chunk(layout[..(i + 1)], Std.LongYear, 0, '.', layout[(i + 5)..], "2006");
                        }

                        return Found(Std.UnderDay, 2);
                    }

                    if (At(layout, i, "__2"))
                    {
                        return Found(Std.UnderYearDay, 3);
                    }

                    break;
                case '3':
                    return Found(Std.Hour12, 1);
                case '4':
                    return Found(Std.Minute, 1);
                case '5':
                    return Found(Std.Second, 1);
                case 'P':
                    if (At(layout, i, "PM"))
                    {
                        return Found(Std.PM, 2);
                    }

                    break;
                case 'p':
                    if (At(layout, i, "pm"))
                    {
                        return Found(Std.Pm, 2);
                    }

                    break;
                case '-':
                    if (At(layout, i, "-070000"))
                    {
                        return Found(Std.NumSecondsTz, 7);
                    }

                    if (At(layout, i, "-07:00:00"))
                    {
                        return Found(Std.NumColonSecondsTZ, 9);
                    }

                    if (At(layout, i, "-0700"))
                    {
                        return Found(Std.NumTZ, 5);
                    }

                    if (At(layout, i, "-07:00"))
                    {
                        return Found(Std.NumColonTZ, 6);
                    }

                    if (At(layout, i, "-07"))
                    {
                        return Found(Std.NumShortTZ, 3);
                    }

                    break;
                case 'Z':
                    if (At(layout, i, "Z070000"))
                    {
                        return Found(Std.ISO8601SecondsTZ, 7);
                    }

                    if (At(layout, i, "Z07:00:00"))
                    {
                        return Found(Std.ISO8601ColonSecondsTZ, 9);
                    }

                    if (At(layout, i, "Z0700"))
                    {
                        return Found(Std.ISO8601TZ, 5);
                    }

                    if (At(layout, i, "Z07:00"))
                    {
                        return Found(Std.ISO8601ColonTZ, 6);
                    }

                    if (At(layout, i, "Z07"))
                    {
                        return Found(Std.ISO8601ShortTZ, 3);
                    }

                    break;
                case '.' or ',':
                    if (i + 1 < layout.Length && layout[i + 1] is '0' or '9')
                    {
                        var ch = layout[i + 1];
                        var j = i + 1;
                        while (j < layout.Length && layout[j] == ch)
                        {
                            j++;
                        }

                        // Only a fractional second when the run of digits ends here.
                        if (!(j < layout.Length && char.IsAsciiDigit(layout[j])))
                        {
                            return new Chunk(layout[..i], ch == '0' ? Std.FracSecond0 : Std.FracSecond9, j - (i + 1), c, layout[j..], layout[i..j]);
                        }
                    }

                    break;
            }
        }

        return new Chunk(layout, Std.None, 0, '.', string.Empty, string.Empty);
    }

    private static bool At(string s, int i, string token) => i >= 0 && i + token.Length <= s.Length && string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

    private static bool StartsWithLower(string s, int i) => i < s.Length && s[i] is >= 'a' and <= 'z';

    // ---------------------------------------------------------------- formatting

    public static string Format(TimeInstant t, string layout)
    {
        var civil = t.Civil;
        var offset = t.Offset;
        var sb = new StringBuilder(layout.Length + 10);
        while (layout.Length > 0)
        {
            var chunk = NextChunk(layout);
            sb.Append(chunk.Prefix);
            if (chunk.Std == Std.None)
            {
                break;
            }

            layout = chunk.Suffix;
            switch (chunk.Std)
            {
                case Std.Year:
                    Pad(sb, Math.Abs(civil.Year % 100), 2);
                    break;
                case Std.LongYear:
                    Pad(sb, civil.Year, 4);
                    break;
                case Std.Month:
                    sb.Append(LongMonthNames[civil.Month - 1].AsSpan(0, 3));
                    break;
                case Std.LongMonth:
                    sb.Append(LongMonthNames[civil.Month - 1]);
                    break;
                case Std.NumMonth:
                    sb.Append(civil.Month);
                    break;
                case Std.ZeroMonth:
                    Pad(sb, civil.Month, 2);
                    break;
                case Std.WeekDay:
                    sb.Append(LongDayNames[(int)civil.Weekday].AsSpan(0, 3));
                    break;
                case Std.LongWeekDay:
                    sb.Append(LongDayNames[(int)civil.Weekday]);
                    break;
                case Std.Day:
                    sb.Append(civil.Day);
                    break;
                case Std.UnderDay:
                    sb.Append(civil.Day < 10 ? " " : string.Empty).Append(civil.Day);
                    break;
                case Std.ZeroDay:
                    Pad(sb, civil.Day, 2);
                    break;
                case Std.UnderYearDay:
                    sb.Append(civil.YearDay.ToString(CultureInfo.InvariantCulture).PadLeft(3, ' '));
                    break;
                case Std.ZeroYearDay:
                    Pad(sb, civil.YearDay, 3);
                    break;
                case Std.Hour:
                    Pad(sb, civil.Hour, 2);
                    break;
                case Std.Hour12:
                    sb.Append(civil.Hour % 12 == 0 ? 12 : civil.Hour % 12);
                    break;
                case Std.ZeroHour12:
                    Pad(sb, civil.Hour % 12 == 0 ? 12 : civil.Hour % 12, 2);
                    break;
                case Std.Minute:
                    sb.Append(civil.Minute);
                    break;
                case Std.ZeroMinute:
                    Pad(sb, civil.Minute, 2);
                    break;
                case Std.Second:
                    sb.Append(civil.Second);
                    break;
                case Std.ZeroSecond:
                    Pad(sb, civil.Second, 2);
                    break;
                case Std.PM:
                    sb.Append(civil.Hour >= 12 ? "PM" : "AM");
                    break;
                case Std.Pm:
                    sb.Append(civil.Hour >= 12 ? "pm" : "am");
                    break;
                case Std.ISO8601TZ or Std.ISO8601ColonTZ or Std.ISO8601SecondsTZ or Std.ISO8601ShortTZ or Std.ISO8601ColonSecondsTZ
                    or Std.NumTZ or Std.NumColonTZ or Std.NumSecondsTz or Std.NumShortTZ or Std.NumColonSecondsTZ:
                    FormatOffset(sb, chunk.Std, offset);
                    break;
                case Std.TZ:
                    {
                        var name = t.ZoneName;
                        if (name.Length > 0)
                        {
                            sb.Append(name);
                            break;
                        }

                        var minutes = offset / 60;
                        sb.Append(minutes < 0 ? '-' : '+');
                        minutes = Math.Abs(minutes);
                        Pad(sb, minutes / 60, 2);
                        Pad(sb, minutes % 60, 2);
                        break;
                    }

                case Std.FracSecond0:
                    sb.Append(chunk.FracSeparator).Append(t.Nanoseconds.ToString("D9", CultureInfo.InvariantCulture).AsSpan(0, Math.Min(9, chunk.FracDigits)));
                    break;
                case Std.FracSecond9:
                    {
                        var digits = t.Nanoseconds.ToString("D9", CultureInfo.InvariantCulture)[..Math.Min(9, chunk.FracDigits)].TrimEnd('0');
                        if (digits.Length > 0)
                        {
                            sb.Append(chunk.FracSeparator).Append(digits);
                        }

                        break;
                    }
            }
        }

        return sb.ToString();
    }

    private static void FormatOffset(StringBuilder sb, Std std, int offset)
    {
        var iso = std is Std.ISO8601TZ or Std.ISO8601ColonTZ or Std.ISO8601SecondsTZ or Std.ISO8601ShortTZ or Std.ISO8601ColonSecondsTZ;
        if (iso && offset == 0)
        {
            sb.Append('Z');
            return;
        }

        var minutes = offset / 60;
        var abs = Math.Abs(offset);
        sb.Append(minutes < 0 || offset < 0 ? '-' : '+');
        minutes = Math.Abs(minutes);
        Pad(sb, minutes / 60, 2);
        var colon = std is Std.ISO8601ColonTZ or Std.NumColonTZ or Std.ISO8601ColonSecondsTZ or Std.NumColonSecondsTZ;
        if (std is not (Std.ISO8601ShortTZ or Std.NumShortTZ))
        {
            if (colon)
            {
                sb.Append(':');
            }

            Pad(sb, minutes % 60, 2);
        }

        if (std is Std.ISO8601SecondsTZ or Std.NumSecondsTz or Std.NumColonSecondsTZ or Std.ISO8601ColonSecondsTZ)
        {
            if (colon)
            {
                sb.Append(':');
            }

            Pad(sb, abs % 60, 2);
        }
    }

    private static void Pad(StringBuilder sb, long value, int width)
    {
        if (value < 0)
        {
            sb.Append('-');
            value = -value;
        }

        sb.Append(value.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
    }
}
