using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// time.* builtins (OPA's topdown/time.go) with Go's layouts, durations and nanosecond precision.
/// Timestamps are int64 nanoseconds since the epoch; "[ns, tz]" or "[ns, tz, layout]" name a zone (IANA ids).
/// </summary>
internal static class TimeBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add(new BuiltinDefinition("time.now_ns", 0, NowNs) { NonDeterministic = true });
        registry.Add("time.parse_ns", 2, (_, a) => Nanos(TimeLayout.Parse(TimeLayout.Resolve(Operands.String(a, 0)), Operands.String(a, 1))));
        registry.Add("time.parse_rfc3339_ns", 1, (_, a) => Nanos(TimeLayout.Parse(TimeLayout.Rfc3339, Operands.String(a, 0))));
        registry.Add("time.parse_duration_ns", 1, (_, a) => RegoNumber.FromLong(TimeDuration.Parse(Operands.String(a, 0))));
        registry.Add("time.format", 1, Format);
        registry.Add("time.date", 1, Date);
        registry.Add("time.clock", 1, Clock);
        registry.Add("time.weekday", 1, (_, a) => new RegoString(ZonedTime(a[0]).Time.Civil.Weekday.ToString()));
        registry.Add("time.add_date", 4, AddDate);
        registry.Add("time.diff", 2, Diff);
        registry.Add(new BuiltinDefinition("test.sleep", 1, Sleep) { NonDeterministic = true });
    }

    // Policies may call test.sleep (OPA ships it for tests); it is capped so a policy cannot hold a request for long.
    private static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(1);

    private static RegoNull Sleep(BuiltinContext context, RegoValue[] args)
    {
        var ns = TimeDuration.Parse(Operands.String(args, 0));
        var duration = TimeSpan.FromTicks(Math.Clamp(ns / 100, 0, MaxSleep.Ticks));
        context.CancellationToken.WaitHandle.WaitOne(duration);
        context.CancellationToken.ThrowIfCancellationRequested();
        return RegoNull.Instance;
    }

    private static RegoNumber NowNs(BuiltinContext context, RegoValue[] args)
    {
        var now = context.Now;
        var ns = (System.Numerics.BigInteger)(now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        return RegoNumber.FromInteger(ns);
    }

    private static RegoNumber Nanos(TimeInstant t) =>
        t.UnixNanos is { } ns ? RegoNumber.FromLong(ns) : throw new BuiltinErrorException("time outside of valid range");

    private static RegoString Format(BuiltinContext context, RegoValue[] args)
    {
        var (t, layout) = ZonedTime(args[0]);
        var resolved = layout.Length == 0 ? TimeLayout.Rfc3339Nano : TimeLayout.Resolve(layout);
        return new RegoString(TimeLayout.Format(t, resolved));
    }

    private static RegoArray Date(BuiltinContext context, RegoValue[] args)
    {
        var c = ZonedTime(args[0]).Time.Civil;
        return new RegoArray([RegoNumber.FromLong(c.Year), RegoNumber.FromLong(c.Month), RegoNumber.FromLong(c.Day)]);
    }

    private static RegoArray Clock(BuiltinContext context, RegoValue[] args)
    {
        var c = ZonedTime(args[0]).Time.Civil;
        return new RegoArray([RegoNumber.FromLong(c.Hour), RegoNumber.FromLong(c.Minute), RegoNumber.FromLong(c.Second)]);
    }

    private static RegoNumber AddDate(BuiltinContext context, RegoValue[] args)
    {
        var t = ZonedTime(args[0]).Time;
        var years = Operands.Int32(args, 1);
        var months = Operands.Int32(args, 2);
        var days = Operands.Int32(args, 3);
        var c = t.Civil;
        var result = TimeInstant.FromCivil(c.Year + years, c.Month + (long)months, c.Day + (long)days, c.Hour, c.Minute, c.Second, t.Nanoseconds, t.Location);
        return Nanos(result);
    }

    private static RegoArray Diff(BuiltinContext context, RegoValue[] args)
    {
        var t1 = ZonedTime(args[0]).Time;
        var t2 = ZonedTime(args[1]).Time.In(t1.Location);
        if ((t1.UnixSeconds, t1.Nanoseconds).CompareTo((t2.UnixSeconds, t2.Nanoseconds)) > 0)
        {
            (t1, t2) = (t2, t1);
        }

        var a = t1.Civil;
        var b = t2.Civil;
        var year = b.Year - a.Year;
        long month = b.Month - a.Month;
        long day = b.Day - a.Day;
        long hour = b.Hour - a.Hour;
        long minute = b.Minute - a.Minute;
        long second = b.Second - a.Second;

        // Borrow from the next larger unit, month lengths taken from the earlier date's month.
        if (second < 0)
        {
            second += 60;
            minute--;
        }

        if (minute < 0)
        {
            minute += 60;
            hour--;
        }

        if (hour < 0)
        {
            hour += 24;
            day--;
        }

        if (day < 0)
        {
            day += TimeCivil.DaysIn(a.Month, a.Year);
            month--;
        }

        if (month < 0)
        {
            month += 12;
            year--;
        }

        return new RegoArray([RegoNumber.FromLong(year), RegoNumber.FromLong(month), RegoNumber.FromLong(day),
            RegoNumber.FromLong(hour), RegoNumber.FromLong(minute), RegoNumber.FromLong(second)]);
    }

    /// <summary>OPA's tzTime: a number of nanoseconds, or [ns], [ns, tz] or [ns, tz, layout].</summary>
    private static (TimeInstant Time, string Layout) ZonedTime(RegoValue operand)
    {
        RegoValue nsValue;
        var location = TimeLocation.Utc;
        var layout = string.Empty;
        switch (operand)
        {
            case RegoNumber:
                nsValue = operand;
                break;
            case RegoArray { Count: > 0 } a:
                nsValue = a[0];
                if (nsValue is not RegoNumber)
                {
                    throw new BuiltinTypeException($"operand 1 must be number but got {nsValue.TypeName}");
                }

                if (a.Count > 1)
                {
                    var tz = a[1] as RegoString ?? throw new BuiltinTypeException($"operand 1 must be string but got {a[1].TypeName}");
                    location = TimeLocation.Load(tz.Value);
                }

                if (a.Count > 2)
                {
                    layout = (a[2] as RegoString ?? throw new BuiltinTypeException($"operand 1 must be string but got {a[2].TypeName}")).Value;
                }

                break;
            default:
                throw new BuiltinTypeException($"operand 1 must be either number (ns) or [number (ns), string (tz)] but got {operand.TypeName}");
        }

        var n = (RegoNumber)nsValue;
        if (!n.TryGetInt64(out var ns))
        {
            throw new BuiltinErrorException("timestamp too big");
        }

        return (TimeInstant.FromUnixNanos(ns, location), layout);
    }
}
