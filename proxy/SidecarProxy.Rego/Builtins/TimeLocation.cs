using System.Collections.Concurrent;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A time zone as Go's time.Location: UTC, a fixed offset (from a parsed "-07:00") or an IANA zone.</summary>
internal sealed class TimeLocation
{
    private static readonly ConcurrentDictionary<string, TimeLocation> Cache = new(StringComparer.Ordinal);

    // DateTimeOffset covers years 1..9999; zone rules are looked up within that span.
    private static readonly long MinLookup = DateTimeOffset.MinValue.ToUnixTimeSeconds() + 86400;
    private static readonly long MaxLookup = DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 86400;

    private readonly TimeZoneInfo? _zone;
    private readonly int _fixedOffset;
    private readonly string _fixedName;

    private TimeLocation(TimeZoneInfo? zone, int fixedOffset, string fixedName)
    {
        _zone = zone;
        _fixedOffset = fixedOffset;
        _fixedName = fixedName;
    }

    public static TimeLocation Utc { get; } = new(null, 0, "UTC");

    public bool IsUtc => ReferenceEquals(this, Utc);

    public static TimeLocation Fixed(string name, int offsetSeconds) => new(null, offsetSeconds, name);

    /// <summary>time.LoadLocation: "" and "UTC" are UTC, "Local" the host zone, anything else an IANA id.</summary>
    public static TimeLocation Load(string name)
    {
        if (name is "" or "UTC")
        {
            return Utc;
        }

        return Cache.GetOrAdd(name, static n =>
        {
            if (n == "Local")
            {
                return new TimeLocation(TimeZoneInfo.Local, 0, string.Empty);
            }

            // Go rejects names that could escape the zoneinfo directory.
            if (n.Contains("..", StringComparison.Ordinal) || n.StartsWith('/') || n.Contains('\\', StringComparison.Ordinal))
            {
                throw new BuiltinErrorException($"time: invalid location name");
            }

            try
            {
                return new TimeLocation(TimeZoneInfo.FindSystemTimeZoneById(n), 0, string.Empty);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new BuiltinErrorException($"unknown time zone {n}", ex);
            }
        });
    }

    public int OffsetAt(long unixSeconds)
    {
        if (_zone is null)
        {
            return _fixedOffset;
        }

        var clamped = Math.Clamp(unixSeconds, MinLookup, MaxLookup);
        return (int)_zone.GetUtcOffset(DateTimeOffset.FromUnixTimeSeconds(clamped)).TotalSeconds;
    }

    /// <summary>The zone abbreviation Go prints for "MST"; empty when unknown (Go then prints the numeric offset).</summary>
    public string NameAt(long unixSeconds)
    {
        if (_zone is null)
        {
            return _fixedName;
        }

        var clamped = Math.Clamp(unixSeconds, MinLookup, MaxLookup);
        var daylight = _zone.IsDaylightSavingTime(DateTimeOffset.FromUnixTimeSeconds(clamped));
        var name = daylight ? _zone.DaylightName : _zone.StandardName;

        // Without ICU the names are the tzdata abbreviations ("PST", "IST", "+0530"); long names are of no use here.
        return name.Length is > 0 and <= 6 && !name.Contains(' ', StringComparison.Ordinal) ? name : string.Empty;
    }

    /// <summary>Resolves local wall-clock seconds to Unix seconds, picking an offset as Go's time.Date does.</summary>
    public long ToUtc(long localSeconds)
    {
        if (_zone is null)
        {
            return localSeconds - _fixedOffset;
        }

        var offset = OffsetAt(localSeconds);
        var utc = localSeconds - offset;
        var actual = OffsetAt(utc);
        return actual == offset ? utc : localSeconds - actual;
    }
}
