using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class TimeBuiltinsTests
{
    [Fact]
    public void TestSleep_ReturnsNullAndRejectsBadDurations()
    {
        Assert.Equal(RegoNull.Instance, Call("test.sleep", S("1ms")));
        Throws<BuiltinErrorException>("test.sleep", S("soon"));
    }

    [Fact]
    public void NowNs_IsTheContextClock()
    {
        Assert.Equal(RegoNumber.Parse("1709294400000000000"), Call("time.now_ns"));
    }

    [Theory]
    [InlineData("2006-01-02T15:04:05Z07:00", "2017-06-02T19:00:00-07:00", "1496455200000000000")]
    [InlineData("2006-01-02T15:04:05Z07:00", "1677-09-21T00:12:43.145224192-00:00", "-9223372036854775808")]
    [InlineData("2006-01-02T15:04:05Z07:00", "2262-04-11T23:47:16.854775807-00:00", "9223372036854775807")]
    [InlineData("01/02 03:04:05PM '06 -0700", "06/02 07:00:00PM '17 -0700", "1496455200000000000")]
    [InlineData("02 Jan 06 15:04 -0700", "02 Jun 17 19:00 -0700", "1496455200000000000")]
    [InlineData("RFC822Z", "02 Jun 17 19:00 -0700", "1496455200000000000")]
    [InlineData("2006-01-02", "2020-02-29", "1582934400000000000")]
    [InlineData("Mon Jan _2 15:04:05 2006", "Fri Jun  2 19:00:00 2017", "1496430000000000000")]
    [InlineData("2006-01-02 15:04:05", "2017-06-02 19:00:00.5", "1496430000500000000")]
    [InlineData("January 2, 2006 3:04pm MST", "June 2, 2017 7:00pm UTC", "1496430000000000000")]
    public void ParseNs_UsesGoLayouts(string layout, string value, string expected)
    {
        Assert.Equal(RegoNumber.Parse(expected), Call("time.parse_ns", S(layout), S(value)));
    }

    [Theory]
    [InlineData("2006-01-02", "2021-02-29", "parsing time \"2021-02-29\": day out of range")]
    [InlineData("2006-01-02", "2021-13-01", "parsing time \"2021-13-01\": month out of range")]
    [InlineData("2006-01-02", "2021-01-01x", "parsing time \"2021-01-01x\": extra text: \"x\"")]
    [InlineData("2006-01-02", "21-01-01", "parsing time \"21-01-01\" as \"2006-01-02\": cannot parse \"21-01-01\" as \"2006\"")]
    public void ParseNs_BadValue_HasGoMessage(string layout, string value, string message)
    {
        Assert.Equal(message, Throws<BuiltinErrorException>("time.parse_ns", S(layout), S(value)).Message);
    }

    [Theory]
    [InlineData("1677-09-21T00:12:43.145224191-00:00")]
    [InlineData("2262-04-11T23:47:16.854775808-00:00")]
    public void ParseRfc3339Ns_OutOfRange_IsError(string value)
    {
        Assert.Equal("time outside of valid range", Throws<BuiltinErrorException>("time.parse_rfc3339_ns", S(value)).Message);
    }

    [Fact]
    public void ParseRfc3339Ns_AcceptsFractionAndZ()
    {
        Assert.Equal(RegoNumber.Parse("1496455200123000000"), Call("time.parse_rfc3339_ns", S("2017-06-03T02:00:00.123Z")));
    }

    [Theory]
    [InlineData("100ms", 100_000_000L)]
    [InlineData("1h30m", 5_400_000_000_000L)]
    [InlineData("-1.5s", -1_500_000_000L)]
    [InlineData("1µs", 1_000L)]
    [InlineData("0", 0L)]
    [InlineData("2562047h47m16.854775807s", long.MaxValue)]
    public void ParseDurationNs_GoSyntax(string text, long expected)
    {
        Assert.Equal(N(expected), Call("time.parse_duration_ns", S(text)));
    }

    [Theory]
    [InlineData("1", "time: missing unit in duration \"1\"")]
    [InlineData("1x", "time: unknown unit \"x\" in duration \"1x\"")]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("3000000h", "time: invalid duration \"3000000h\"")]
    public void ParseDurationNs_Invalid(string text, string message)
    {
        Assert.Equal(message, Throws<BuiltinErrorException>("time.parse_duration_ns", S(text)).Message);
    }

    [Fact]
    public void DateClockWeekday_InZones()
    {
        AssertValue("[2018,2,5]", Call("time.date", N(1517814000000000000)));
        AssertValue("[2018,2,4]", Call("time.date", Arr(N(1517814000000000000), S("America/Los_Angeles"))));
        AssertValue("[2020,2,29]", Call("time.date", N(1582977600000000000)));
        AssertValue("[12,0,0]", Call("time.clock", N(1517832000000000000)));
        AssertValue("[7,0,0]", Call("time.clock", Arr(N(1517832000000000000), S("America/New_York"))));
        Assert.Equal(S("Monday"), Call("time.weekday", N(1517832000000000000)));
        Assert.Equal(S("Sunday"), Call("time.weekday", N(1518350400000000000)));
        AssertValue("[1969,12,31]", Call("time.date", N(-1)));
    }

    [Fact]
    public void Date_TooBigOrUnknownZone_IsError()
    {
        Assert.Equal("timestamp too big", Throws<BuiltinErrorException>("time.date", RegoNumber.Parse("1582977600000000000000")).Message);
        Assert.Equal("unknown time zone Nowhere/Land", Throws<BuiltinErrorException>("time.date", Arr(N(0), S("Nowhere/Land"))).Message);
        Throws<BuiltinTypeException>("time.date", S("x"));
    }

    [Fact]
    public void AddDate_NormalisesLikeGo()
    {
        Assert.Equal(N(1705257221593912000), Call("time.add_date", N(1585852421593912000), N(3), N(9), N(12)));
        Assert.Equal(N(1551465221593912000), Call("time.add_date", N(1585852421593912000), N(-1), N(-1), N(-1)));

        // 2020-01-31 plus one month is 2020-03-02 in Go.
        var jan31 = Call("time.parse_ns", S("2006-01-02"), S("2020-01-31"))!;
        var mar2 = Call("time.parse_ns", S("2006-01-02"), S("2020-03-02"))!;
        Assert.Equal(mar2, Call("time.add_date", jan31, N(0), N(1), N(0)));
        Assert.Equal("time outside of valid range", Throws<BuiltinErrorException>("time.add_date", N(0), N(2262), N(1), N(1)).Message);
    }

    [Fact]
    public void Diff_ReturnsCalendarDifference()
    {
        static RegoValue P(string d) => Call("time.parse_ns", S("2006-01-02"), S(d))!;
        AssertValue("[0,0,28,0,0,0]", Call("time.diff", P("2020-02-02"), P("2020-03-01")));
        AssertValue("[0,0,27,0,0,0]", Call("time.diff", P("2021-02-02"), P("2021-03-01")));
        AssertValue("[1,0,1,0,0,0]", Call("time.diff", P("2004-02-29"), P("2005-03-01")));
        AssertValue("[0,0,0,0,1,1]", Call("time.diff", N(61_000_000_000), N(0)));
    }

    [Fact]
    public void Format_DefaultZoneAndLayouts()
    {
        var ns = N(1670006453141828752);
        Assert.Equal(S("2022-12-02T18:40:53.141828752Z"), Call("time.format", ns));
        Assert.Equal(S("2022-12-03T00:10:53.141828752+05:30"), Call("time.format", Arr(ns, S("Asia/Kolkata"))));
        Assert.Equal(S("Sat Dec 03 00:10:53 +0530 2022"), Call("time.format", Arr(ns, S("Asia/Kolkata"), S("Mon Jan 02 15:04:05 -0700 2006"))));
        Assert.Equal(S("Sat, 03 Dec 2022 00:10:53 +0530"), Call("time.format", Arr(ns, S("Asia/Kolkata"), S("RFC1123Z"))));
        Assert.Equal(S("12:40AM .141   2 Z"), Call("time.format", Arr(N(141_000_000 + 86_400_000_000_000 + 2_400_000_000_000), S("UTC"), S("03:04PM .000 __2 Z07"))));
    }

    [Fact]
    public void Format_ZoneAbbreviation()
    {
        var text = Assert.IsType<RegoString>(Call("time.format", Arr(N(1670006453141828752), S("UTC"), S("MST")))).Value;
        Assert.Equal("UTC", text);
    }

    [Theory]
    [InlineData("Asia/Kolkata", "IST")]
    [InlineData("America/New_York", "EST")]
    [InlineData("Europe/Berlin", "CET")]
    public void Format_ZoneAbbreviationOfIanaZone(string zone, string abbreviation)
    {
        var text = Assert.IsType<RegoString>(Call("time.format", Arr(N(1670006453141828752), S(zone), S("MST")))).Value;
        Assert.Equal(abbreviation, text);
    }
}
