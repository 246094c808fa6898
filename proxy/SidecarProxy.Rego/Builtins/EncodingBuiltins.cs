using System.Globalization;
using System.Text;
using SidecarProxy.Rego.Values;
using YamlDotNet.Core;

namespace SidecarProxy.Rego.Builtins;

/// <summary>base64, base64url, hex, urlquery and yaml builtins, with Go's encoding rules (OPA's topdown/encoding.go).</summary>
internal static class EncodingBuiltins
{
    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("base64.encode", 1, (_, a) => new RegoString(Convert.ToBase64String(Utf8(a, 0))));
        registry.Add("base64.decode", 1, (_, a) => new RegoString(DecodeUtf8(EncodingBase64.Decode(Operands.String(a, 0), urlAlphabet: false))));
        registry.Add("base64.is_valid", 1, (_, a) => RegoBoolean.From(a[0] is RegoString s && EncodingBase64.TryDecode(s.Value, urlAlphabet: false, out byte[] _)));
        registry.Add("base64url.encode", 1, (_, a) => new RegoString(ToUrl(Convert.ToBase64String(Utf8(a, 0)))));
        registry.Add("base64url.encode_no_pad", 1, (_, a) => new RegoString(ToUrl(Convert.ToBase64String(Utf8(a, 0))).TrimEnd('=')));
        registry.Add("base64url.decode", 1, Base64UrlDecode);
        registry.Add("hex.encode", 1, (_, a) => new RegoString(Convert.ToHexStringLower(Utf8(a, 0))));
        registry.Add("hex.decode", 1, (_, a) => new RegoString(DecodeUtf8(HexDecode(Operands.String(a, 0)))));
        registry.Add("urlquery.encode", 1, (_, a) => new RegoString(EncodingUrl.QueryEscape(Operands.String(a, 0))));
        registry.Add("urlquery.decode", 1, (_, a) => new RegoString(EncodingUrl.QueryUnescape(Operands.String(a, 0))));
        registry.Add("urlquery.encode_object", 1, (_, a) => new RegoString(EncodingUrl.EncodeObject(a)));
        registry.Add("urlquery.decode_object", 1, (_, a) => EncodingUrl.DecodeObject(Operands.String(a, 0)));
        registry.Add("yaml.marshal", 1, (_, a) => YamlMarshal(a[0]));
        registry.Add("yaml.unmarshal", 1, (_, a) => YamlUnmarshal(Operands.String(a, 0)));
        registry.Add("yaml.is_valid", 1, (_, a) => RegoBoolean.From(a[0] is RegoString s && YamlIsValid(s.Value)));
    }

    private static byte[] Utf8(RegoValue[] args, int index) => Encoding.UTF8.GetBytes(Operands.String(args, index));

    // Go strings are byte strings; decoded bytes that are not UTF-8 become U+FFFD here.
    internal static string DecodeUtf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static string ToUrl(string standard) => standard.Replace('+', '-').Replace('/', '_');

    // Encoders often omit the padding (RFC 7515 appendix C); GoBase64 restores it as OPA does, and its error
    // never quotes the input (which may be part of a bearer token).
    private static RegoString Base64UrlDecode(BuiltinContext context, RegoValue[] args) =>
        new(DecodeUtf8(GoBase64.DecodeUrlLenient(Operands.String(args, 0))));

    private static byte[] HexDecode(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var result = new byte[bytes.Length / 2];
        var i = 0;
        for (; i + 1 < bytes.Length; i += 2)
        {
            var hi = HexValue(bytes[i]);
            var lo = HexValue(bytes[i + 1]);
            if (hi < 0)
            {
                throw InvalidHexByte(bytes[i]);
            }

            if (lo < 0)
            {
                throw InvalidHexByte(bytes[i + 1]);
            }

            result[i / 2] = (byte)((hi << 4) | lo);
        }

        if (bytes.Length % 2 == 1)
        {
            if (HexValue(bytes[^1]) < 0)
            {
                throw InvalidHexByte(bytes[^1]);
            }

            throw new BuiltinErrorException("encoding/hex: odd length hex string");
        }

        return result;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static BuiltinErrorException InvalidHexByte(byte b)
    {
        // Go prints the offending byte as %#U: "U+0067 'g'".
        var code = "U+" + ((int)b).ToString("X4", CultureInfo.InvariantCulture);
        var shown = b is >= 0x20 and < 0x7f ? $"{code} '{(char)b}'" : code;
        return new BuiltinErrorException($"encoding/hex: invalid byte: {shown}");
    }

    private static RegoString YamlMarshal(RegoValue value)
    {
        try
        {
            return new RegoString(RegoYaml.Serialize(value));
        }
        catch (FormatException ex)
        {
            throw new BuiltinErrorException("yaml: " + ex.Message, ex);
        }
    }

    private static RegoValue YamlUnmarshal(string text)
    {
        try
        {
            return RegoYaml.Parse(text);
        }
        catch (YamlException ex)
        {
            throw new BuiltinErrorException(RegoYaml.DescribeError(ex), ex);
        }
        catch (FormatException ex)
        {
            throw new BuiltinErrorException("yaml: " + ex.Message, ex);
        }
    }

    private static bool YamlIsValid(string text)
    {
        try
        {
            RegoYaml.Parse(text);
            return true;
        }
        catch (YamlException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
