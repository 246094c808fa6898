using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Builtins.EncodingTestSupport;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class NetBuiltinsTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.1.0.0/24", true)]
    [InlineData("172.17.0.0/24", "172.17.0.0/16", false)]
    [InlineData("10.0.0.0/8", "192.168.1.0/24", false)]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "192.168.1.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("2001:4860:4860::8888/32", "2001:4860:4860:1234::8888/40", true)]
    [InlineData("2001:4860::/96", "2001:4860::/32", false)]
    [InlineData("2001:4860::/32", "fd1e:5bfe:8af3:9ddc::/64", false)]
    [InlineData("2001:4860::/32", "10.0.0.1", false)]
    [InlineData("0.0.0.0/0", "255.255.255.255", true)]
    public void CidrContains(string cidr, string other, bool expected)
    {
        Assert.Equal(RegoBoolean.From(expected), Call("net.cidr_contains", S(cidr), S(other)));
    }

    [Fact]
    public void CidrContains_Malformed_IsBuiltinError()
    {
        Assert.Equal("invalid CIDR address: not-a-cidr", Throws<BuiltinErrorException>("net.cidr_contains", S("not-a-cidr"), S("192.168.1.67")).Message);
        Assert.Equal(
            "not a valid textual representation of an IP address or CIDR: nope",
            Throws<BuiltinErrorException>("net.cidr_contains", S("192.168.1.0/28"), S("nope")).Message);
    }

    [Theory]
    [InlineData("192.168.1.0/25", "192.168.1.64/25", true)]
    [InlineData("192.168.1.0/24", "192.168.2.0/24", false)]
    [InlineData("fd1e:5bfe:8af3:9ddc::/64", "fd1e:5bfe:8af3:9ddc:1::/80", true)]
    [InlineData("fd1e::/64", "10.0.0.0/8", false)]
    public void CidrIntersects(string a, string b, bool expected)
    {
        Assert.Equal(RegoBoolean.From(expected), Call("net.cidr_intersects", S(a), S(b)));
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("::1/128", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("010.0.0.0/8", false)]
    [InlineData("fe80::1%eth0/64", false)]
    [InlineData("1.2.3/8", false)]
    public void CidrIsValid(string cidr, bool expected)
    {
        Assert.Equal(RegoBoolean.From(expected), Call("net.cidr_is_valid", S(cidr)));
    }

    [Fact]
    public void CidrExpand_ListsAddresses()
    {
        AssertValue("""["192.168.1.0","192.168.1.1","192.168.1.2","192.168.1.3"]""", Call("net.cidr_expand", S("192.168.1.1/30")));
        AssertValue("""["fd00::","fd00::1"]""", Call("net.cidr_expand", S("fd00::/127")));
    }

    [Theory]
    [InlineData("""["192.0.128.0/24","192.0.129.0/24"]""", """["192.0.128.0/23"]""")]
    [InlineData("""["192.0.2.112/30","192.0.2.116/31","192.0.2.118/31"]""", """["192.0.2.112/29"]""")]
    [InlineData("""["192.0.2.112/31","192.0.2.116/31","192.0.2.118/31"]""", """["192.0.2.112/31","192.0.2.116/30"]""")]
    [InlineData("""["192.0.128.0/24","0.0.0.0/0"]""", """["0.0.0.0/0"]""")]
    [InlineData("""["::/0","::192.0.2.0/124","ff00::101/128"]""", """["::/0"]""")]
    [InlineData("""["fe80::/120","192.0.2.0/24","192.0.3.0/24"]""", """["192.0.2.0/23","fe80::/120"]""")]
    [InlineData("""["192.0.2.112","192.0.2.116/31"]""", """["192.0.2.0/24"]""")]
    [InlineData("""["2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64"]""", """["2601:600:8a80:207e::/64"]""")]
    [InlineData("[]", "[]")]
    public void CidrMerge(string input, string expected)
    {
        AssertValue(expected, Call("net.cidr_merge", J(input)));
    }

    [Fact]
    public void CidrMerge_Errors()
    {
        Assert.Equal("IPv6 invalid: needs prefix length", Throws<BuiltinErrorException>("net.cidr_merge", J("""["::1"]""")).Message);
        Assert.Equal("invalid CIDR address: foo", Throws<BuiltinErrorException>("net.cidr_merge", J("""["foo"]""")).Message);
    }

    [Fact]
    public void CidrContainsMatches_ReportsIndexPairs()
    {
        var cidrs = J("""{"a":["10.0.0.0/8","meta"],"b":"192.168.0.0/16"}""");
        var addresses = J("""["10.1.2.3","192.168.1.1","8.8.8.8"]""");
        AssertValue("""[["a",0],["b",1]]""", Call("net.cidr_contains_matches", cidrs, addresses));
        AssertValue("""[["10.0.0.0/8","10.0.0.1"]]""", Call("net.cidr_contains_matches", S("10.0.0.0/8"), S("10.0.0.1")));
    }

    [Fact]
    public void CidrContainsMatches_BadElement_IsError()
    {
        var ex = Throws<BuiltinErrorException>("net.cidr_contains_matches", J("[1]"), S("10.0.0.1"));
        Assert.Equal("operand 1: element must be string or non-empty array", ex.Message);
    }

    [Fact]
    public void LookupIpAddr_IsNotProvided()
    {
        Assert.False(SidecarProxy.Rego.Builtins.BuiltinRegistry.Default.Contains("net.lookup_ip_addr"));
    }

    [Fact]
    public void CidrExpand_HugeRange_IsRefused()
    {
        Assert.Equal("CIDR ::/0 has more than 4194304 addresses", Throws<BuiltinErrorException>("net.cidr_expand", S("::/0")).Message);
    }
}
