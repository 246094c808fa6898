using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class UnitsBuiltinsTests
{
    [Theory]
    [InlineData("42", "42")]
    [InlineData("1K", "1000")]
    [InlineData("1k", "1000")]
    [InlineData("1Ki", "1024")]
    [InlineData("1KI", "1024")]
    [InlineData("1M", "1000000")]
    [InlineData("1Mi", "1048576")]
    [InlineData("1G", "1000000000")]
    [InlineData("1Ei", "1152921504606846976")]
    [InlineData("500m", "0.5")]
    [InlineData("1m", "0.001")]
    [InlineData("0.0005K", "0.5")]
    [InlineData("0.0000005M", "0.5")]
    [InlineData("1e-2", "0.01")]
    [InlineData("7.8E-1", "0.78")]
    [InlineData("6e3Mi", "6291456000")]
    [InlineData("1e", "1000000000000000000")]
    [InlineData("-1.5k", "-1500")]
    [InlineData("\"10\"", "10")]
    [InlineData("1e-12", "0")]
    [InlineData("1/3", "0")]
    public void Parse_Computes(string text, string expected)
    {
        if (text == "1/3")
        {
            // A '/' is where the unit starts.
            BuiltinError("unit /3 not recognized", "units.parse", Str(text));
            return;
        }

        Is(N(expected), "units.parse", Str(text));
    }

    [Fact]
    public void Parse_ThirdOfAMilli_HasTenDecimals()
    {
        Is(N("0.0003333333"), "units.parse", Str("0.3333333333m"));
        Is(N("0.0000000002"), "units.parse", Str("0.00000015m"));
    }

    [Theory]
    [InlineData("", "no amount provided")]
    [InlineData("G", "no amount provided")]
    [InlineData("foo", "no amount provided")]
    [InlineData("0.0.0", "could not parse amount to a number")]
    [InlineData(".5.2", "could not parse amount to a number")]
    [InlineData("1-2", "could not parse amount to a number")]
    [InlineData("100 k", "spaces not allowed in resource strings")]
    [InlineData("1x", "unit x not recognized")]
    [InlineData("1e1234567", "exponent too large")]
    public void Parse_Errors(string text, string message) => BuiltinError(message, "units.parse", Str(text));

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1KB", "1000")]
    [InlineData("1kib", "1024")]
    [InlineData("1.5Ki", "1536")]
    [InlineData("2MiB", "2097152")]
    [InlineData("1e3", "1000")]
    [InlineData("1.1", "1")]
    [InlineData("8EiB", "9223372036854775808")]
    [InlineData("1e30", "1000000000000000000024696061952")]
    [InlineData("-1kb", "-1000")]
    public void ParseBytes_Computes(string text, string expected) => Is(N(expected), "units.parse_bytes", Str(text));

    [Theory]
    [InlineData("", "no byte amount provided")]
    [InlineData("GB", "no byte amount provided")]
    [InlineData("0.0.0", "could not parse byte amount to a number")]
    [InlineData("1 kb", "spaces not allowed in resource strings")]
    [InlineData("1xb", "byte unit xb not recognized")]
    public void ParseBytes_Errors(string text, string message) => BuiltinError(message, "units.parse_bytes", Str(text));

    [Theory]
    [InlineData("units.parse", "1e-999999")]
    [InlineData("units.parse", "123e-4012Ki")]
    [InlineData("units.parse_bytes", "1e-999999")]
    [InlineData("units.parse_bytes", "5e-4010EiB")]
    public void TinyAmounts_AreZero(string name, string text) => Is(N("0"), name, Str(text));

    [Theory]
    [InlineData("units.parse", "1e999999")]
    [InlineData("units.parse_bytes", "1e4001")]
    public void HugeAmounts_AreRefused(string name, string text) => BuiltinError("exponent too large", name, Str(text));

    [Fact]
    public void LargeButBoundedAmount_IsExact() => Is(N("1e3000"), "units.parse", Str("1e2997k"));

    [Fact]
    public void Operand_MustBeString()
    {
        TypeError("operand 1 must be string but got number", "units.parse", N("1"));
        TypeError("operand 1 must be string but got number", "units.parse_bytes", N("1"));
    }
}
