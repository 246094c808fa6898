using System.Text;

namespace SidecarProxy.Routing;

/// <summary>The path to route, decide on and forward, or why the request target is refused.</summary>
internal readonly record struct PathVerdict(string? Path, string? Problem)
{
    public bool Rejected => Problem is not null;

    public static PathVerdict Keep => default;

    public static PathVerdict Use(string path) => new(path, null);

    public static PathVerdict Reject(string problem) => new(null, problem);
}

/// <summary>
/// Makes sure the policy decides on exactly the path the tool will act on. Kestrel decodes the request target once
/// (keeping <c>%2F</c> escaped) and resolves literal dot segments; YARP then re-encodes the decoded path when it
/// forwards (a <c>%</c> becomes <c>%25</c>). A target that a tool could read another way — encoded slashes,
/// backslashes, encoded dot segments, double encoding, <c>;</c> segment parameters, empty segments, invalid UTF-8
/// such as overlong <c>%c0%af</c> — is refused (<see cref="PathMode.Reject"/>), or decoded until stable,
/// resolved and forwarded in that one form (<see cref="PathMode.Normalize"/>). The check reads the raw target, as
/// the agent sent it, not Kestrel's decoded path.
/// </summary>
internal static class PathGuard
{
    // Decoding rounds in normalize mode: a target still encoded after these is refused.
    private const int MaxDecodeRounds = 3;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Checks <paramref name="rawTarget"/> (the request target as received, with its query).</summary>
    public static PathVerdict Check(string rawTarget, PathMode mode)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        var path = PathOf(rawTarget);
        if (path is null)
        {
            // "*" (OPTIONS *) or an authority (CONNECT): no path to act on; routing refuses it.
            return PathVerdict.Keep;
        }

        return mode == PathMode.Normalize ? Normalize(path) : Inspect(path);
    }

    // The path part of an origin-form or absolute-form target, without the query; null when it has none.
    private static string? PathOf(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        if (path.StartsWith('/'))
        {
            return path;
        }

        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return null;
        }

        var slash = path.IndexOf('/', scheme + 3);
        return slash < 0 ? "/" : path[slash..];
    }

    private static PathVerdict Inspect(string path)
    {
        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return PathVerdict.Reject("backslash in the path");
        }

        if (path.Contains(';', StringComparison.Ordinal))
        {
            return PathVerdict.Reject("';' segment parameters in the path");
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return PathVerdict.Reject("empty segment ('//') in the path");
        }

        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] != '%')
            {
                continue;
            }

            if (!TryHex(path, i, out var value))
            {
                return PathVerdict.Reject("malformed percent-encoding in the path");
            }

            var problem = (char)value switch
            {
                '/' => "encoded slash (%2F) in the path",
                '\\' => "encoded backslash (%5C) in the path",
                '%' => "double percent-encoding (%25) in the path",
                ';' => "encoded ';' (%3B) in the path",
                _ when value < 0x20 || value == 0x7f => "encoded control character in the path",
                _ => null,
            };
            if (problem is not null)
            {
                return PathVerdict.Reject(problem);
            }
        }

        foreach (var segment in path.Split('/'))
        {
            if (!segment.Contains('%', StringComparison.Ordinal))
            {
                continue;
            }

            if (!TryDecode(segment, out var decoded))
            {
                return PathVerdict.Reject("percent-encoded bytes that are not valid UTF-8 in the path");
            }

            if (decoded is "." or "..")
            {
                return PathVerdict.Reject("encoded dot segment in the path");
            }
        }

        // Nothing to change: Kestrel's decoded path is what the policy sees and what YARP forwards.
        return PathVerdict.Keep;
    }

    private static PathVerdict Normalize(string path)
    {
        var decoded = path;
        for (var round = 0; decoded.Contains('%', StringComparison.Ordinal); round++)
        {
            if (round == MaxDecodeRounds)
            {
                return PathVerdict.Reject($"the path is still percent-encoded after {MaxDecodeRounds} decodings");
            }

            if (!TryDecode(decoded, out var next))
            {
                return PathVerdict.Reject("malformed percent-encoding, or bytes that are not valid UTF-8, in the path");
            }

            decoded = next;
        }

        foreach (var c in decoded)
        {
            if (char.IsControl(c))
            {
                return PathVerdict.Reject("control character in the path");
            }

            if (c == ';')
            {
                // No form of a segment parameter reads the same for every tool: refused in both modes.
                return PathVerdict.Reject("';' segment parameters in the path");
            }
        }

        var segments = new List<string>();
        foreach (var segment in decoded.Replace('\\', '/').Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }

        var normalized = "/" + string.Join('/', segments);
        var last = decoded.Replace('\\', '/');
        if (segments.Count > 0 && (last.EndsWith('/') || last.EndsWith("/.", StringComparison.Ordinal) || last.EndsWith("/..", StringComparison.Ordinal)))
        {
            normalized += "/";
        }

        return PathVerdict.Use(normalized);
    }

    // Decodes every %XX of text as UTF-8; false when an escape is malformed or the bytes are not valid UTF-8.
    private static bool TryDecode(string text, out string decoded)
    {
        decoded = text;
        var bytes = new List<byte>(text.Length);
        var run = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '%')
            {
                continue;
            }

            // The literal run before this escape (or the end), as UTF-8.
            bytes.AddRange(Encoding.UTF8.GetBytes(text, run, i - run));
            if (i == text.Length)
            {
                break;
            }

            if (!TryHex(text, i, out var value))
            {
                return false;
            }

            bytes.Add(value);
            i += 2;
            run = i + 1;
        }

        try
        {
            decoded = StrictUtf8.GetString([.. bytes]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool TryHex(string text, int percent, out byte value)
    {
        value = 0;
        if (percent + 2 >= text.Length)
        {
            return false;
        }

        var high = HexValue(text[percent + 1]);
        var low = HexValue(text[percent + 2]);
        if (high < 0 || low < 0)
        {
            return false;
        }

        value = (byte)((high << 4) | low);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
