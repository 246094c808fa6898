using System.Globalization;
using System.Text;
using System.Text.Json;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>The three base64url sections of a compact JWS.</summary>
internal sealed class JwtToken
{
    private JwtToken(string header, string payload, string signature)
    {
        Header = header;
        Payload = payload;
        Signature = signature;
        SigningInput = Encoding.UTF8.GetBytes(header + "." + payload);
    }

    public string Header { get; }

    public string Payload { get; }

    public string Signature { get; }

    public byte[] SigningInput { get; }

    public static JwtToken Split(RegoValue value)
    {
        if (value is not RegoString s)
        {
            throw new BuiltinTypeException($"operand 1 must be string but got {value.TypeName}");
        }

        if (!s.Value.Contains('.', StringComparison.Ordinal))
        {
            throw new BuiltinErrorException("encoded JWT had no period separators");
        }

        var parts = s.Value.Split('.');
        if (parts.Length != 3)
        {
            throw new BuiltinErrorException(string.Create(CultureInfo.InvariantCulture, $"encoded JWT must have 3 sections, found {parts.Length}"));
        }

        return new JwtToken(parts[0], parts[1], parts[2]);
    }

    /// <summary>A JSON object's text as OPA's json.unmarshal reads it (the last of duplicate keys wins).</summary>
    public static RegoObject ExtractObject(byte[] json)
    {
        RegoValue value;
        try
        {
            value = RegoJson.Parse(json);
        }
        catch (Exception e) when (e is JsonException or FormatException or DecoderFallbackException or InvalidOperationException)
        {
            throw new BuiltinErrorException($"invalid JSON: {e.Message}");
        }

        return value as RegoObject ?? throw new BuiltinErrorException("decoded JSON type was not an Object");
    }

    public RegoObject DecodeHeader()
    {
        byte[] raw;
        try
        {
            raw = GoBase64.DecodeUrlLenient(Header);
        }
        catch (BuiltinErrorException e)
        {
            throw new BuiltinErrorException($"JWT header had invalid encoding: {e.Message}");
        }

        RegoObject header;
        try
        {
            header = ExtractObject(raw);
        }
        catch (BuiltinErrorException e)
        {
            throw new BuiltinErrorException($"bad JWT header: {e.Message}");
        }

        // JWE tokens (RFC 7516 section 9) carry "enc"; only JWS is supported.
        if (header.ContainsKey(new RegoString("enc")))
        {
            throw new BuiltinErrorException("JWT is a JWE object, which is not supported");
        }

        return header;
    }

    public byte[] DecodeSignature() => GoBase64.DecodeUrlLenient(Signature);
}

/// <summary>The JOSE header members OPA interprets (RFC 7515 section 4.1).</summary>
internal sealed class TokenHeader
{
    public string Alg { get; private set; } = string.Empty;

    public string Kid { get; private set; } = string.Empty;

    public string Typ { get; private set; } = string.Empty;

    public string Cty { get; private set; } = string.Empty;

    private HashSet<string> Crit { get; } = new(StringComparer.Ordinal);

    private List<string> Unknown { get; } = [];

    /// <summary>alg must be present, and every critical parameter must be one OPA understands.</summary>
    public bool IsValid => Alg.Length > 0 && !Unknown.Exists(Crit.Contains);

    public static TokenHeader Parse(RegoObject header)
    {
        var result = new TokenHeader();
        foreach (var (k, v) in header.Entries)
        {
            var name = ((RegoString)k).Value;
            switch (name)
            {
                case "alg":
                    result.Alg = HeaderString(name, v);
                    break;
                case "kid":
                    result.Kid = HeaderString(name, v);
                    break;
                case "typ":
                    result.Typ = HeaderString(name, v);
                    break;
                case "cty":
                    result.Cty = HeaderString(name, v);
                    break;
                case "crit":
                    if (v is not RegoArray crit)
                    {
                        throw new BuiltinErrorException("crit: must be a list");
                    }

                    foreach (var item in crit.Items)
                    {
                        if (item is not RegoString itemString)
                        {
                            break;
                        }

                        result.Crit.Add(itemString.Value);
                    }

                    if (result.Crit.Count == 0)
                    {
                        throw new BuiltinErrorException("crit: must be a nonempty list");
                    }

                    break;
                default:
                    result.Unknown.Add(name);
                    break;
            }
        }

        return result;
    }

    private static string HeaderString(string name, RegoValue value) =>
        value is RegoString s ? s.Value : throw new BuiltinErrorException($"{name}: must be a string");
}
