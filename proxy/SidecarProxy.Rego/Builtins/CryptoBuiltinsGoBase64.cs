namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Base64 decoding that accepts and rejects exactly what Go's <c>encoding/base64</c> padded decoders do
/// (CR and LF skipped anywhere, padding rules, trailing garbage), so that error messages carry the
/// same "illegal base64 data at input byte N" offsets OPA reports.
/// </summary>
internal static class GoBase64
{
    private const string StdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private const string UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly sbyte[] StdMap = BuildMap(StdAlphabet);
    private static readonly sbyte[] UrlMap = BuildMap(UrlAlphabet);

    /// <summary>Go's <c>base64.StdEncoding.DecodeString</c>; null and the failing offset when invalid.</summary>
    public static byte[]? TryDecodeStd(string s, out int errorOffset) => Decode(s, StdMap, out errorOffset);

    /// <summary>Go's <c>base64.URLEncoding.DecodeString</c> (padded URL alphabet).</summary>
    public static byte[]? TryDecodeUrl(string s, out int errorOffset) => Decode(s, UrlMap, out errorOffset);

    /// <summary>Standard alphabet; throws OPA's message on failure.</summary>
    public static byte[] DecodeStd(string s) =>
        TryDecodeStd(s, out var at) ?? throw new BuiltinErrorException(IllegalAt(at));

    public static string IllegalAt(int offset) => $"illegal base64 data at input byte {offset}";

    /// <summary>
    /// OPA's <c>base64url.decode</c>: adds the padding RFC 7515 appendix C omits, then decodes with the padded URL alphabet.
    /// </summary>
    public static byte[] DecodeUrlLenient(string s)
    {
        if (!s.EndsWith('='))
        {
            switch (s.Length % 4)
            {
                case 0:
                    break;
                case 2:
                    s += "==";
                    break;
                case 3:
                    s += "=";
                    break;
                default:
                    // OPA appends the input; it can be part of a bearer token, so it stays out of the message.
                    throw new BuiltinErrorException("illegal base64url string");
            }
        }

        return TryDecodeUrl(s, out var at) ?? throw new BuiltinErrorException(IllegalAt(at));
    }

    public static string EncodeRawUrl(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static sbyte[] BuildMap(string alphabet)
    {
        var map = new sbyte[256];
        Array.Fill(map, (sbyte)-1);
        for (var i = 0; i < alphabet.Length; i++)
        {
            map[alphabet[i]] = (sbyte)i;
        }

        return map;
    }

    private static byte[]? Decode(string s, sbyte[] map, out int errorOffset)
    {
        errorOffset = -1;
        var output = new List<byte>(s.Length * 3 / 4);
        var si = 0;
        Span<int> buf = stackalloc int[4];
        while (true)
        {
            var dlen = 4;
            var trailingError = -1;
            var j = 0;
            var done = false;
            for (; j < 4; j++)
            {
                if (si == s.Length)
                {
                    if (j == 0)
                    {
                        return output.ToArray();
                    }

                    // Go's padded decoders require complete quanta.
                    errorOffset = si - j;
                    return null;
                }

                var c = s[si];
                si++;
                var v = c < 256 ? map[c] : -1;
                if (v >= 0)
                {
                    buf[j] = v;
                    continue;
                }

                if (c is '\n' or '\r')
                {
                    j--;
                    continue;
                }

                if (c != '=')
                {
                    errorOffset = si - 1;
                    return null;
                }

                if (j is 0 or 1)
                {
                    errorOffset = si - 1;
                    return null;
                }

                if (j == 2)
                {
                    while (si < s.Length && s[si] is '\n' or '\r')
                    {
                        si++;
                    }

                    if (si == s.Length)
                    {
                        errorOffset = s.Length;
                        return null;
                    }

                    if (s[si] != '=')
                    {
                        errorOffset = si - 1;
                        return null;
                    }

                    si++;
                }

                while (si < s.Length && s[si] is '\n' or '\r')
                {
                    si++;
                }

                if (si < s.Length)
                {
                    trailingError = si;
                }

                dlen = j;
                done = true;
                break;
            }

            for (var k = dlen; k < 4; k++)
            {
                buf[k] = 0;
            }

            var val = (buf[0] << 18) | (buf[1] << 12) | (buf[2] << 6) | buf[3];
            if (dlen >= 2)
            {
                output.Add((byte)(val >> 16));
            }

            if (dlen >= 3)
            {
                output.Add((byte)(val >> 8));
            }

            if (dlen == 4)
            {
                output.Add((byte)val);
            }

            if (trailingError >= 0)
            {
                errorOffset = trailingError;
                return null;
            }

            if (done)
            {
                // Padding ends the input (Go stops after a padded quantum).
                return output.ToArray();
            }
        }
    }
}
