using System.Globalization;
using System.Net.Mail;

namespace SidecarProxy.Rego.Builtins;

/// <summary>The "format" keyword's checks for the common formats; unknown formats pass, as the specification allows.</summary>
internal static class JsonSchemaFormats
{
    public static bool Matches(string format, string value) => format switch
    {
        "date-time" => DateTimeOffset.TryParseExact(value.Replace('t', 'T').Replace('z', 'Z'), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "date" => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "time" => TimeOnly.TryParseExact(value.TrimEnd('Z', 'z'), ["HH:mm:ss", "HH:mm:ss.FFFFFFF"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "email" => MailAddress.TryCreate(value, out var mail) && mail.Address == value,
        "ipv4" => NetAddress.ParseIP(value) is { } v4 && !value.Contains(':', StringComparison.Ordinal) && NetAddress.To4(v4) is not null,
        "ipv6" => value.Contains(':', StringComparison.Ordinal) && NetAddress.ParseIP(value) is not null,
        "uri" => Uri.TryCreate(value, UriKind.Absolute, out _),
        "uri-reference" => Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _),
        "uuid" => Guid.TryParseExact(value, "D", out _),
        "hostname" => value.Length is > 0 and <= 253 && value.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && l[0] != '-' && l[^1] != '-'),
        _ => true,
    };
}
