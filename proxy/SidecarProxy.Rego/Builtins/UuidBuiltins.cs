using System.Globalization;
using System.Security.Cryptography;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>uuid.rfc4122 (random version 4, one value per seed within a query) and uuid.parse (as google/uuid reads UUIDs).</summary>
internal static class UuidBuiltins
{
    // 100-ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
    private const long GregorianToUnix100Ns = 122192928000000000;

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add(new BuiltinDefinition("uuid.rfc4122", 1, Rfc4122) { NonDeterministic = true });
        registry.Add("uuid.parse", 1, Parse);
    }

    private static RegoValue Rfc4122(BuiltinContext context, RegoValue[] args)
    {
        var key = "uuid.rfc4122:" + args[0].ToJson();
        return (RegoValue)context.QueryCache.GetOrAdd(key, static _ => NewV4());
    }

    private static RegoString NewV4()
    {
        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        b[6] = (byte)((b[6] & 0x0F) | 0x40);
        return new RegoString(Format(b));
    }

    private static string Format(ReadOnlySpan<byte> b)
    {
        var hex = Convert.ToHexStringLower(b);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static RegoValue? Parse(BuiltinContext context, RegoValue[] args)
    {
        var text = Operands.String(args, 0);
        if (!TryParseBytes(text, out var b))
        {
            return null;
        }

        var version = b[6] >> 4;
        var fields = new Dictionary<string, RegoValue>
        {
            ["version"] = RegoNumber.FromLong(version),
            ["variant"] = new RegoString(Variant(b[8])),
        };
        if (version is 1 or 2)
        {
            long time = ((long)(b[6] & 0x0F) << 56) | ((long)b[7] << 48) | ((long)b[4] << 40) | ((long)b[5] << 32)
                | ((long)b[0] << 24) | ((long)b[1] << 16) | ((long)b[2] << 8) | b[3];
            var since = time - GregorianToUnix100Ns;
            fields["time"] = RegoNumber.FromLong((since / 10_000_000 * 1_000_000_000) + (since % 10_000_000 * 100));
            fields["nodeid"] = new RegoString(string.Join('-', b[10..].Select(x => x.ToString("x2", CultureInfo.InvariantCulture))));
            fields["macvariables"] = new RegoString(MacVariables(b[10]));
            fields["clocksequence"] = RegoNumber.FromLong(((b[8] << 8) | b[9]) & 0x3FFF);
            if (version == 2)
            {
                fields["id"] = RegoNumber.FromLong(((long)b[0] << 24) | ((long)b[1] << 16) | ((long)b[2] << 8) | b[3]);
                fields["domain"] = new RegoString(b[9] switch
                {
                    0 => "Person",
                    1 => "Group",
                    2 => "Org",
                    _ => $"Domain{b[9]}",
                });
            }
        }

        return RegoObject.FromStrings(fields);
    }

    private static string Variant(byte b) => b switch
    {
        _ when (b & 0xC0) == 0x80 => "RFC4122",
        _ when (b & 0xE0) == 0xC0 => "Microsoft",
        _ when (b & 0xE0) == 0xE0 => "Future",
        _ => "Reserved",
    };

    private static string MacVariables(byte b) => (b & 0x03) switch
    {
        0x03 => "local:multicast",
        0x01 => "global:multicast",
        0x02 => "local:unicast",
        _ => "global:unicast",
    };

    // google/uuid.Parse: 36 chars with dashes, 38 with braces, 45 with a urn:uuid: prefix, or 32 hex digits.
    private static bool TryParseBytes(string s, out byte[] bytes)
    {
        bytes = new byte[16];
        string hex;
        switch (s.Length)
        {
            case 32:
                hex = s;
                break;
            case 36:
                hex = Dashed(s);
                break;
            case 38 when s[0] == '{' && s[^1] == '}':
                hex = Dashed(s[1..^1]);
                break;
            case 45 when s.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase):
                hex = Dashed(s[9..]);
                break;
            default:
                return false;
        }

        if (hex.Length != 32)
        {
            return false;
        }

        for (var i = 0; i < 16; i++)
        {
            if (!byte.TryParse(hex.AsSpan(i * 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string Dashed(string s) =>
        s.Length == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' ? s.Replace("-", string.Empty, StringComparison.Ordinal) : string.Empty;
}
