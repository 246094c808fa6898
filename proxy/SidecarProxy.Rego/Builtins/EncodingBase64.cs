namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// Base64 decoding with Go's rules (encoding/base64, padded, non-strict): padding is required,
/// CR and LF are skipped, anything else outside the alphabet is an error naming the byte offset.
/// </summary>
internal static class EncodingBase64
{
    public static byte[] Decode(string s, bool urlAlphabet) =>
        TryDecode(s, urlAlphabet, out var bytes, out var offset) ? bytes : throw new BuiltinErrorException($"illegal base64 data at input byte {offset}");

    public static bool TryDecode(string s, bool urlAlphabet, out byte[] bytes) => TryDecode(s, urlAlphabet, out bytes, out _);

    private static bool TryDecode(string s, bool urlAlphabet, out byte[] bytes, out int errorOffset)
    {
        var input = System.Text.Encoding.UTF8.GetBytes(s);
        var output = new List<byte>(input.Length * 3 / 4);
        Span<int> quantum = stackalloc int[4];
        var i = 0;
        bytes = [];
        errorOffset = 0;
        while (true)
        {
            var n = 0;
            var padding = 0;
            var padStart = -1;
            while (n + padding < 4)
            {
                while (i < input.Length && (input[i] == '\r' || input[i] == '\n'))
                {
                    i++;
                }

                if (i >= input.Length)
                {
                    break;
                }

                var c = input[i];
                if (c == '=')
                {
                    if (n < 2)
                    {
                        errorOffset = i;
                        return false;
                    }

                    padStart = padStart < 0 ? i : padStart;
                    padding++;
                    i++;
                    continue;
                }

                if (padding > 0)
                {
                    // "x=" followed by something other than "=": Go points just before it.
                    errorOffset = i - 1;
                    return false;
                }

                var v = Value(c, urlAlphabet);
                if (v < 0)
                {
                    errorOffset = i;
                    return false;
                }

                quantum[n++] = v;
                i++;
            }

            if (n == 0 && padding == 0)
            {
                bytes = output.ToArray();
                return true;
            }

            if (n + padding < 4)
            {
                // A short final quantum: Go reports where the quantum began, or the end when padding is cut short.
                errorOffset = padding > 0 ? input.Length : i - n;
                return false;
            }

            if (padding > 0 && n + padding != 4)
            {
                errorOffset = padStart;
                return false;
            }

            output.Add((byte)((quantum[0] << 2) | (quantum[1] >> 4)));
            if (n > 2)
            {
                output.Add((byte)(((quantum[1] & 0xF) << 4) | (quantum[2] >> 2)));
            }

            if (n > 3)
            {
                output.Add((byte)(((quantum[2] & 0x3) << 6) | quantum[3]));
            }

            if (padding > 0)
            {
                // Nothing but line breaks may follow the padding.
                while (i < input.Length && (input[i] == '\r' || input[i] == '\n'))
                {
                    i++;
                }

                if (i < input.Length)
                {
                    errorOffset = i;
                    return false;
                }

                bytes = output.ToArray();
                return true;
            }
        }
    }

    private static int Value(byte c, bool urlAlphabet) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' when !urlAlphabet => 62,
        (byte)'/' when !urlAlphabet => 63,
        (byte)'-' when urlAlphabet => 62,
        (byte)'_' when urlAlphabet => 63,
        _ => -1,
    };
}
