using System.Buffers.Binary;
using System.Text;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>What a raw HTTP/2 request got: a response status and body, or a stream reset, or a GOAWAY (error codes).</summary>
internal sealed record Http2Outcome(int? Status, string Body, int? ResetError, int? GoAwayError)
{
    public const int ProtocolError = 1;
}

/// <summary>
/// Just enough HTTP/2 to send header lists HttpClient will not send (connection-specific headers, a Host that
/// disagrees with :authority): every field a literal without indexing and without Huffman coding, one stream.
/// </summary>
internal static class RawHttp2
{
    private const byte Data = 0, Headers = 1, RstStream = 3, Settings = 4, GoAway = 7;

    public static async Task<Http2Outcome> SendAsync(RawAgentConnection connection, params (string Name, string Value)[] fields)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in fields)
        {
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        WriteFrame(output, Headers, 0x4 | 0x1, 1, block.ToArray()); // END_HEADERS | END_STREAM
        await connection.SendAsync(output.ToArray());

        int? status = null;
        var body = new StringBuilder();
        while (await connection.ReadBytesAsync(9) is { } header)
        {
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var type = header[3];
            var flags = header[4];
            var stream = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
            var payload = length == 0 ? [] : await connection.ReadBytesAsync(length);
            if (payload is null)
            {
                break;
            }

            switch (type)
            {
                case Settings when (flags & 0x1) == 0:
                    var ack = new MemoryStream();
                    WriteFrame(ack, Settings, 0x1, 0, []);
                    await connection.SendAsync(ack.ToArray());
                    break;
                case Headers when stream == 1:
                    status = DecodeStatus(payload);
                    if ((flags & 0x1) != 0)
                    {
                        return new Http2Outcome(status, body.ToString(), null, null);
                    }

                    break;
                case Data when stream == 1:
                    body.Append(Encoding.UTF8.GetString(payload));
                    if ((flags & 0x1) != 0)
                    {
                        return new Http2Outcome(status, body.ToString(), null, null);
                    }

                    break;
                case RstStream when stream == 1:
                    return new Http2Outcome(status, body.ToString(), BinaryPrimitives.ReadInt32BigEndian(payload), null);
                case GoAway:
                    var error = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4));
                    if (error != 0 || status is null)
                    {
                        return new Http2Outcome(status, body.ToString(), null, error);
                    }

                    break;
            }
        }

        return new Http2Outcome(status, body.ToString(), null, null);
    }

    // :status is the first field of a response block; Kestrel writes it indexed (static table 8-14) or as a
    // literal with an indexed name and a plain (not Huffman) value.
    private static int? DecodeStatus(byte[] block)
    {
        var first = block[0];
        if ((first & 0x80) != 0)
        {
            return (first & 0x7f) switch { 8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400, 13 => 404, 14 => 500, _ => null };
        }

        var length = block[1] & 0x7f;
        return (block[1] & 0x80) == 0 ? int.Parse(Encoding.ASCII.GetString(block, 2, length), System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static void WriteString(MemoryStream block, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        if (bytes.Length >= 127)
        {
            throw new ArgumentException("raw HTTP/2 fields are limited to 126 bytes", nameof(text));
        }

        block.WriteByte((byte)bytes.Length);
        block.Write(bytes);
    }

    private static void WriteFrame(MemoryStream output, byte type, byte flags, int stream, byte[] payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], stream);
        output.Write(header);
        output.Write(payload);
    }
}
