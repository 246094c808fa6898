using System.Numerics;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// An instant as Go's time.Time holds it: Unix seconds, nanoseconds and a location (UTC, a fixed offset or an
/// IANA zone). Seconds are a long so that instants outside the int64-nanosecond range can still be parsed and
/// then rejected, as OPA does ("time outside of valid range").
/// </summary>
internal readonly record struct TimeInstant(long UnixSeconds, int Nanoseconds, TimeLocation Location)
{
    private static readonly BigInteger NanosPerSecond = 1_000_000_000;

    public static TimeInstant FromUnixNanos(long ns, TimeLocation location)
    {
        var sec = Math.DivRem(ns, 1_000_000_000L, out var rem);
        if (rem < 0)
        {
            sec--;
            rem += 1_000_000_000L;
        }

        return new TimeInstant(sec, (int)rem, location);
    }

    /// <summary>The instant in nanoseconds since the epoch, or null when it does not fit an int64.</summary>
    public long? UnixNanos
    {
        get
        {
            var ns = (UnixSeconds * NanosPerSecond) + Nanoseconds;
            return ns < long.MinValue || ns > long.MaxValue ? null : (long)ns;
        }
    }

    public int Offset => Location.OffsetAt(UnixSeconds);

    public string ZoneName => Location.NameAt(UnixSeconds);

    /// <summary>Local wall-clock seconds since 1970-01-01T00:00:00 (the epoch of the local calendar).</summary>
    public long LocalSeconds => UnixSeconds + Offset;

    public TimeCivil Civil => TimeCivil.FromSeconds(LocalSeconds);

    public TimeInstant In(TimeLocation location) => this with { Location = location };

    /// <summary>Go's time.Date: normalises out-of-range fields and resolves the local time in the location.</summary>
    public static TimeInstant FromCivil(long year, long month, long day, long hour, long minute, long second, long nanosecond, TimeLocation location)
    {
        // Carry nanoseconds, seconds, minutes, hours into days and months into years, as Go's Date does.
        second += FloorDiv(nanosecond, 1_000_000_000, out nanosecond);
        minute += FloorDiv(second, 60, out second);
        hour += FloorDiv(minute, 60, out minute);
        day += FloorDiv(hour, 24, out hour);
        var m0 = month - 1;
        year += FloorDiv(m0, 12, out m0);
        var days = TimeCivil.DaysFromCivil(year, (int)m0 + 1, 1) + day - 1;
        var local = (days * 86400) + (hour * 3600) + (minute * 60) + second;
        return new TimeInstant(location.ToUtc(local), (int)nanosecond, location);
    }

    private static long FloorDiv(long value, long divisor, out long remainder)
    {
        var q = Math.DivRem(value, divisor, out remainder);
        if (remainder < 0)
        {
            q--;
            remainder += divisor;
        }

        return q;
    }
}

/// <summary>A calendar date and clock time (proleptic Gregorian, any year).</summary>
internal readonly record struct TimeCivil(long Year, int Month, int Day, int Hour, int Minute, int Second, DayOfWeek Weekday, int YearDay)
{
    public static TimeCivil FromSeconds(long localSeconds)
    {
        var days = Math.DivRem(localSeconds, 86400L, out var secOfDay);
        if (secOfDay < 0)
        {
            days--;
            secOfDay += 86400;
        }

        var (y, m, d) = CivilFromDays(days);
        var weekday = (DayOfWeek)(int)(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
        var yearDay = (int)(days - DaysFromCivil(y, 1, 1)) + 1;
        return new TimeCivil(y, m, d, (int)(secOfDay / 3600), (int)(secOfDay % 3600 / 60), (int)(secOfDay % 60), weekday, yearDay);
    }

    // Howard Hinnant's days_from_civil / civil_from_days, valid for any year.
    public static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var mp = (m + 9) % 12;
        var doy = ((153 * mp) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }

    public static (long Year, int Month, int Day) CivilFromDays(long z)
    {
        z += 719468;
        var era = (z >= 0 ? z : z - 146096) / 146097;
        var doe = z - (era * 146097);
        var yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        var y = yoe + (era * 400);
        var doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        var mp = ((5 * doy) + 2) / 153;
        var d = (int)(doy - (((153 * mp) + 2) / 5) + 1);
        var m = (int)(mp < 10 ? mp + 3 : mp - 9);
        return (m <= 2 ? y + 1 : y, m, d);
    }

    public static int DaysIn(int month, long year) => month switch
    {
        2 => IsLeap(year) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    public static bool IsLeap(long year) => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}
