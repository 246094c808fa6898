using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>One PEM block: its type ("CERTIFICATE") and its decoded bytes.</summary>
internal sealed record PemBlock(string Type, byte[] Bytes);

/// <summary>
/// PEM decoding with the rules of Go's <c>encoding/pem.Decode</c>, which OPA relies on: junk before a block
/// is skipped, headers are ignored, a block whose body is not valid base64 is skipped, and the rest after the
/// END line (minus that line's end) is returned, so callers can tell "extra data after a PEM block".
/// </summary>
internal static class GoPem
{
    private const string PemStart = "\n-----BEGIN ";
    private const string PemEnd = "\n-----END ";
    private const string PemEndOfLine = "-----";

    public static bool StartsWithBegin(string s) => s.StartsWith("-----BEGIN", StringComparison.Ordinal);

    /// <summary>Decodes the first PEM block of <paramref name="data"/>; null (and rest = data) when there is none.</summary>
    public static PemBlock? Decode(string data, out string rest)
    {
        var r = data;
        while (true)
        {
            if (r.StartsWith(PemStart[1..], StringComparison.Ordinal))
            {
                r = r[(PemStart.Length - 1)..];
            }
            else
            {
                var at = r.IndexOf(PemStart, StringComparison.Ordinal);
                if (at < 0)
                {
                    rest = data;
                    return null;
                }

                r = r[(at + PemStart.Length)..];
            }

            var typeLine = GetLine(r, out r);
            if (!typeLine.EndsWith(PemEndOfLine, StringComparison.Ordinal))
            {
                continue;
            }

            typeLine = typeLine[..^PemEndOfLine.Length];

            var headers = 0;
            var truncated = false;
            while (true)
            {
                if (r.Length == 0)
                {
                    truncated = true;
                    break;
                }

                var line = GetLine(r, out var next);
                if (!line.Contains(':', StringComparison.Ordinal))
                {
                    break;
                }

                headers++;
                r = next;
            }

            if (truncated)
            {
                rest = data;
                return null;
            }

            int endIndex, endTrailerIndex;
            if (headers == 0 && r.StartsWith(PemEnd[1..], StringComparison.Ordinal))
            {
                endIndex = 0;
                endTrailerIndex = PemEnd.Length - 1;
            }
            else
            {
                endIndex = r.IndexOf(PemEnd, StringComparison.Ordinal);
                endTrailerIndex = endIndex + PemEnd.Length;
            }

            if (endIndex < 0)
            {
                continue;
            }

            var endTrailer = r[endTrailerIndex..];
            var endTrailerLen = typeLine.Length + PemEndOfLine.Length;
            if (endTrailer.Length < endTrailerLen)
            {
                continue;
            }

            var restOfEndLine = endTrailer[endTrailerLen..];
            endTrailer = endTrailer[..endTrailerLen];
            if (!endTrailer.StartsWith(typeLine, StringComparison.Ordinal) || !endTrailer.EndsWith(PemEndOfLine, StringComparison.Ordinal))
            {
                continue;
            }

            if (GetLine(restOfEndLine, out _).Length != 0)
            {
                continue;
            }

            var body = RemoveSpacesAndTabs(r[..endIndex]);
            var bytes = GoBase64.TryDecodeStd(body, out _);
            if (bytes is null)
            {
                continue;
            }

            GetLine(r[(endIndex + PemEnd.Length - 1)..], out rest);
            return new PemBlock(typeLine, bytes);
        }
    }

    /// <summary>All PEM blocks, in order, stopping at the first text that is not one.</summary>
    public static List<PemBlock> DecodeAll(string data)
    {
        var blocks = new List<PemBlock>();
        while (data.Length > 0)
        {
            var block = Decode(data, out var rest);
            if (block is null)
            {
                break;
            }

            blocks.Add(block);
            data = rest;
        }

        return blocks;
    }

    /// <summary>Latin-1 view of bytes, so PEM text found inside decoded base64 keeps a 1:1 byte mapping.</summary>
    public static string BytesToText(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>The inverse of <see cref="BytesToText"/>.</summary>
    public static byte[] TextToBytes(string text) => Encoding.Latin1.GetBytes(text);

    private static string GetLine(string data, out string rest)
    {
        var i = data.IndexOf('\n', StringComparison.Ordinal);
        string line;
        if (i < 0)
        {
            line = data;
            rest = string.Empty;
        }
        else
        {
            line = data[..i];
            rest = data[(i + 1)..];
        }

        return line.TrimEnd(' ', '\t', '\r');
    }

    private static string RemoveSpacesAndTabs(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c is not (' ' or '\t'))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
