using System.Globalization;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Go reference-time layouts ("2006-01-02T15:04:05Z07:00"): tokenising as time.nextStdChunk, parsing as
/// time.Parse (default location UTC) and formatting as time.Format.
/// </summary>
internal static class TimeLayout
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

    // ---------------------------------------------------------------- parsing

    /// <summary>time.Parse: throws <see cref="BuiltinErrorException"/> with Go's message when the value does not match.</summary>
    public static TimeInstant Parse(string layout, string value)
    {
        var originalLayout = layout;
        var originalValue = value;
        long year = 0;
        int month = -1, day = -1, yday = -1, hour = 0, minute = 0, second = 0, nanos = 0;
        bool pmSet = false, amSet = false;
        TimeLocation? zone = null;
        int? zoneOffset = null;
        var zoneName = string.Empty;
        string? rangeError = null;

        while (true)
        {
            var chunk = NextChunk(layout);
            var stdText = layout.Substring(chunk.Prefix.Length, layout.Length - chunk.Prefix.Length - chunk.Suffix.Length);
            if (!Skip(ref value, chunk.Prefix))
            {
                throw BadParse(originalValue, originalLayout, value, chunk.Prefix);
            }

            if (chunk.Std == Std.None)
            {
                if (value.Length != 0)
                {
                    throw new BuiltinErrorException($"parsing time {Quote(originalValue)}: extra text: {Quote(value)}");
                }

                break;
            }

            layout = chunk.Suffix;
            var hold = value;
            var ok = true;
            switch (chunk.Std)
            {
                case Std.Year:
                    if (value.Length < 2 || !char.IsAsciiDigit(value[0]) || !char.IsAsciiDigit(value[1]))
                    {
                        ok = false;
                        break;
                    }

                    year = int.Parse(value.AsSpan(0, 2), CultureInfo.InvariantCulture);
                    year += year >= 69 ? 1900 : 2000;
                    value = value[2..];
                    break;
                case Std.LongYear:
                    if (value.Length < 4 || !value[..4].All(char.IsAsciiDigit))
                    {
                        ok = false;
                        break;
                    }

                    year = int.Parse(value.AsSpan(0, 4), CultureInfo.InvariantCulture);
                    value = value[4..];
                    break;
                case Std.Month or Std.LongMonth:
                    {
                        var idx = Lookup(chunk.Std == Std.Month ? LongMonthNames.Select(n => n[..3]).ToArray() : LongMonthNames, ref value);
                        ok = idx >= 0;
                        month = idx + 1;
                        break;
                    }

                case Std.NumMonth or Std.ZeroMonth:
                    ok = GetNum(ref value, chunk.Std == Std.ZeroMonth, out month);
                    if (ok && (month <= 0 || month > 12))
                    {
                        rangeError ??= "month";
                    }

                    break;
                case Std.WeekDay or Std.LongWeekDay:
                    ok = Lookup(chunk.Std == Std.WeekDay ? LongDayNames.Select(n => n[..3]).ToArray() : LongDayNames, ref value) >= 0;
                    break;
                case Std.Day or Std.UnderDay or Std.ZeroDay:
                    if (chunk.Std == Std.UnderDay && value.Length > 0 && value[0] == ' ')
                    {
                        value = value[1..];
                    }

                    ok = GetNum(ref value, chunk.Std == Std.ZeroDay, out day);
                    break;
                case Std.UnderYearDay or Std.ZeroYearDay:
                    for (var k = 0; k < 2 && chunk.Std == Std.UnderYearDay && value.Length > 0 && value[0] == ' '; k++)
                    {
                        value = value[1..];
                    }

                    ok = GetNum3(ref value, chunk.Std == Std.ZeroYearDay, out yday);
                    break;
                case Std.Hour:
                    ok = GetNum(ref value, false, out hour);
                    if (hour is < 0 or >= 24)
                    {
                        rangeError ??= "hour";
                    }

                    break;
                case Std.Hour12 or Std.ZeroHour12:
                    ok = GetNum(ref value, chunk.Std == Std.ZeroHour12, out hour);
                    if (hour is < 0 or > 12)
                    {
                        rangeError ??= "hour";
                    }

                    break;
                case Std.Minute or Std.ZeroMinute:
                    ok = GetNum(ref value, chunk.Std == Std.ZeroMinute, out minute);
                    if (minute is < 0 or >= 60)
                    {
                        rangeError ??= "minute";
                    }

                    break;
                case Std.Second or Std.ZeroSecond:
                    ok = GetNum(ref value, chunk.Std == Std.ZeroSecond, out second);
                    if (second is < 0 or >= 60)
                    {
                        rangeError ??= "second";
                        break;
                    }

                    // A fractional second in the value that the layout does not spell out is still read.
                    if (ok && value.Length >= 2 && value[0] is '.' or ',' && char.IsAsciiDigit(value[1]))
                    {
                        var next = NextChunk(layout);
                        if (next.Std is Std.FracSecond0 or Std.FracSecond9)
                        {
                            break;
                        }

                        var n = 2;
                        while (n < value.Length && char.IsAsciiDigit(value[n]))
                        {
                            n++;
                        }

                        nanos = ParseNanos(value, n);
                        value = value[n..];
                    }

                    break;
                case Std.PM or Std.Pm:
                    {
                        if (value.Length < 2)
                        {
                            ok = false;
                            break;
                        }

                        var p = value[..2];
                        var (pmText, amText) = chunk.Std == Std.PM ? ("PM", "AM") : ("pm", "am");
                        if (p == pmText)
                        {
                            pmSet = true;
                        }
                        else if (p == amText)
                        {
                            amSet = true;
                        }
                        else
                        {
                            ok = false;
                        }

                        value = value[2..];
                        break;
                    }

                case Std.ISO8601TZ or Std.ISO8601ColonTZ or Std.ISO8601SecondsTZ or Std.ISO8601ShortTZ or Std.ISO8601ColonSecondsTZ
                    or Std.NumTZ or Std.NumShortTZ or Std.NumColonTZ or Std.NumSecondsTz or Std.NumColonSecondsTZ:
                    {
                        var iso = chunk.Std is Std.ISO8601TZ or Std.ISO8601ColonTZ or Std.ISO8601SecondsTZ or Std.ISO8601ShortTZ or Std.ISO8601ColonSecondsTZ;
                        if (iso && value.Length >= 1 && value[0] == 'Z')
                        {
                            value = value[1..];
                            zone = TimeLocation.Utc;
                            break;
                        }

                        ok = ParseOffset(chunk.Std, ref value, out var parsedOffset);
                        zoneOffset = parsedOffset;
                        break;
                    }

                case Std.TZ:
                    {
                        if (value.Length >= 3 && value.StartsWith("UTC", StringComparison.Ordinal))
                        {
                            zone = TimeLocation.Utc;
                            value = value[3..];
                            break;
                        }

                        var n = ZoneNameLength(value);
                        if (n <= 0)
                        {
                            ok = false;
                            break;
                        }

                        zoneName = value[..n];
                        value = value[n..];
                        break;
                    }

                case Std.FracSecond0:
                    {
                        var ndigit = 1 + chunk.FracDigits;
                        if (value.Length < ndigit || value[0] != chunk.FracSeparator && value[0] is not ('.' or ','))
                        {
                            ok = false;
                            break;
                        }

                        if (!value[1..ndigit].All(char.IsAsciiDigit))
                        {
                            ok = false;
                            break;
                        }

                        nanos = ParseNanos(value, ndigit);
                        value = value[ndigit..];
                        break;
                    }

                case Std.FracSecond9:
                    {
                        if (value.Length < 2 || value[0] is not ('.' or ',') || !char.IsAsciiDigit(value[1]))
                        {
                            break; // the fractional second is optional
                        }

                        var k = 0;
                        while (k + 1 < value.Length && char.IsAsciiDigit(value[k + 1]))
                        {
                            k++;
                        }

                        nanos = ParseNanos(value, 1 + k);
                        value = value[(1 + k)..];
                        break;
                    }
            }

            if (rangeError is not null)
            {
                throw new BuiltinErrorException($"parsing time {Quote(originalValue)}: {rangeError} out of range");
            }

            if (!ok)
            {
                throw BadParse(originalValue, originalLayout, hold, stdText);
            }
        }

        if (pmSet && hour < 12)
        {
            hour += 12;
        }
        else if (amSet && hour == 12)
        {
            hour = 0;
        }

        if (yday >= 0)
        {
            var leap = TimeCivil.IsLeap(year);
            if (yday < 1 || yday > (leap ? 366 : 365))
            {
                throw new BuiltinErrorException($"parsing time {Quote(originalValue)}: day-of-year out of range");
            }

            var (_, m, d) = TimeCivil.CivilFromDays(TimeCivil.DaysFromCivil(year, 1, 1) + yday - 1);
            if ((month >= 0 && month != m) || (day >= 0 && day != d))
            {
                throw new BuiltinErrorException($"parsing time {Quote(originalValue)}: day-of-year does not match {(month >= 0 && month != m ? "month" : "day")}");
            }

            month = m;
            day = d;
        }
        else
        {
            month = month < 0 ? 1 : month;
            day = day < 0 ? 1 : day;
        }

        if (day < 1 || day > TimeCivil.DaysIn(month, year))
        {
            throw new BuiltinErrorException($"parsing time {Quote(originalValue)}: day out of range");
        }

        if (zone is not null)
        {
            return TimeInstant.FromCivil(year, month, day, hour, minute, second, nanos, zone);
        }

        if (zoneOffset is { } fixedOffset)
        {
            var utc = TimeInstant.FromCivil(year, month, day, hour, minute, second, nanos, TimeLocation.Utc);
            return new TimeInstant(utc.UnixSeconds - fixedOffset, nanos, fixedOffset == 0 ? TimeLocation.Utc : TimeLocation.Fixed(string.Empty, fixedOffset));
        }

        if (zoneName.Length > 0)
        {
            // An abbreviation Go cannot resolve becomes a zero-offset zone of that name; GMT+h carries its offset.
            var offset = 0;
            if (zoneName.Length > 3 && zoneName.StartsWith("GMT", StringComparison.Ordinal) && int.TryParse(zoneName.AsSpan(3), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var h))
            {
                offset = h * 3600;
            }

            var utc = TimeInstant.FromCivil(year, month, day, hour, minute, second, nanos, TimeLocation.Utc);
            return new TimeInstant(utc.UnixSeconds - offset, nanos, TimeLocation.Fixed(zoneName, offset));
        }

        return TimeInstant.FromCivil(year, month, day, hour, minute, second, nanos, TimeLocation.Utc);
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static BuiltinErrorException BadParse(string value, string layout, string valueElem, string layoutElem) =>
        new($"parsing time {Quote(value)} as {Quote(layout)}: cannot parse {Quote(valueElem)} as {Quote(layoutElem)}");

    // Matches the layout's literal text; a space in the layout matches one or more spaces in the value.
    private static bool Skip(ref string value, string prefix)
    {
        while (prefix.Length > 0)
        {
            if (prefix[0] == ' ')
            {
                if (value.Length > 0 && value[0] != ' ')
                {
                    return false;
                }

                prefix = prefix.TrimStart(' ');
                value = value.TrimStart(' ');
                continue;
            }

            if (value.Length == 0 || value[0] != prefix[0])
            {
                return false;
            }

            prefix = prefix[1..];
            value = value[1..];
        }

        return true;
    }

    private static int Lookup(string[] table, ref string value)
    {
        for (var i = 0; i < table.Length; i++)
        {
            if (value.Length >= table[i].Length && string.Equals(value[..table[i].Length], table[i], StringComparison.OrdinalIgnoreCase))
            {
                value = value[table[i].Length..];
                return i;
            }
        }

        return -1;
    }

    private static bool GetNum(ref string value, bool fixedWidth, out int n)
    {
        n = 0;
        if (value.Length == 0 || !char.IsAsciiDigit(value[0]))
        {
            return false;
        }

        if (value.Length < 2 || !char.IsAsciiDigit(value[1]))
        {
            if (fixedWidth)
            {
                return false;
            }

            n = value[0] - '0';
            value = value[1..];
            return true;
        }

        n = ((value[0] - '0') * 10) + (value[1] - '0');
        value = value[2..];
        return true;
    }

    private static bool GetNum3(ref string value, bool fixedWidth, out int n)
    {
        n = 0;
        var i = 0;
        while (i < 3 && i < value.Length && char.IsAsciiDigit(value[i]))
        {
            n = (n * 10) + (value[i] - '0');
            i++;
        }

        if (i == 0 || (fixedWidth && i != 3))
        {
            return false;
        }

        value = value[i..];
        return true;
    }

    private static int ParseNanos(string value, int nbytes)
    {
        // value[0] is the separator; at most nine digits count.
        var digits = value[1..Math.Min(nbytes, 10)];
        var ns = 0;
        foreach (var c in digits)
        {
            ns = (ns * 10) + (c - '0');
        }

        for (var i = digits.Length; i < 9; i++)
        {
            ns *= 10;
        }

        return ns;
    }

    private static bool ParseOffset(Std std, ref string value, out int offset)
    {
        offset = 0;
        string hh, mm = "00", ss = "00";
        string rest;
        switch (std)
        {
            case Std.ISO8601ColonSecondsTZ or Std.NumColonSecondsTZ:
                if (value.Length < 9 || value[3] != ':' || value[6] != ':')
                {
                    return false;
                }

                (hh, mm, ss, rest) = (value[1..3], value[4..6], value[7..9], value[9..]);
                break;
            case Std.NumShortTZ or Std.ISO8601ShortTZ:
                if (value.Length < 3)
                {
                    return false;
                }

                (hh, rest) = (value[1..3], value[3..]);
                break;
            case Std.ISO8601ColonTZ or Std.NumColonTZ:
                if (value.Length < 6 || value[3] != ':')
                {
                    return false;
                }

                (hh, mm, rest) = (value[1..3], value[4..6], value[6..]);
                break;
            case Std.NumSecondsTz or Std.ISO8601SecondsTZ:
                if (value.Length < 7)
                {
                    return false;
                }

                (hh, mm, ss, rest) = (value[1..3], value[3..5], value[5..7], value[7..]);
                break;
            default:
                if (value.Length < 5)
                {
                    return false;
                }

                (hh, mm, rest) = (value[1..3], value[3..5], value[5..]);
                break;
        }

        if (value[0] is not ('+' or '-') || !TwoDigits(hh, 24, out var h) || !TwoDigits(mm, 60, out var m) || !TwoDigits(ss, 60, out var sec))
        {
            return false;
        }

        offset = ((((h * 60) + m) * 60) + sec) * (value[0] == '-' ? -1 : 1);
        value = rest;
        return true;
    }

    private static bool TwoDigits(string s, int limit, out int n)
    {
        n = 0;
        if (s.Length != 2 || !char.IsAsciiDigit(s[0]) || !char.IsAsciiDigit(s[1]))
        {
            return false;
        }

        n = ((s[0] - '0') * 10) + (s[1] - '0');
        return n < limit;
    }

    // Go's parseTimeZone: three to five upper-case letters (four or five ending in T), or ChST/MeST, or GMT[+-]h.
    private static int ZoneNameLength(string value)
    {
        if (value.Length < 3)
        {
            return 0;
        }

        if (value.StartsWith("ChST", StringComparison.Ordinal) || value.StartsWith("MeST", StringComparison.Ordinal))
        {
            return 4;
        }

        if (value.StartsWith("GMT", StringComparison.Ordinal))
        {
            var n = 3;
            if (n < value.Length && value[n] is '+' or '-')
            {
                var k = n + 1;
                while (k < value.Length && char.IsAsciiDigit(value[k]))
                {
                    k++;
                }

                if (k > n + 1 && int.TryParse(value.AsSpan(n + 1, k - n - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var hours) && hours <= 23)
                {
                    return k;
                }
            }

            return 3;
        }

        if (value[0] is '+' or '-')
        {
            var k = 1;
            while (k < value.Length && char.IsAsciiDigit(value[k]))
            {
                k++;
            }

            return k is 3 or 5 ? k : 0;
        }

        var upper = 0;
        while (upper < 6 && upper < value.Length && char.IsAsciiLetterUpper(value[upper]))
        {
            upper++;
        }

        return upper switch
        {
            3 => 3,
            4 => value[3] == 'T' || value.StartsWith("WITA", StringComparison.Ordinal) ? 4 : 0,
            5 => value[4] == 'T' ? 5 : 0,
            _ => 0,
        };
    }
}
