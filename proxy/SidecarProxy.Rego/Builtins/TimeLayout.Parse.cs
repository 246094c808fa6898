using System.Globalization;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>Parsing with a Go layout, as time.Parse (default location UTC).</summary>
internal static partial class TimeLayout
{
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
