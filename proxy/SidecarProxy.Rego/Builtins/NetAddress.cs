using System.Globalization;
using System.Numerics;
using System.Text;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// IP addresses and CIDR networks with Go's net package rules: strict dotted-quad IPv4 (no leading zeros),
/// IPv6 with "::" and an optional trailing IPv4 part, no zones; IPv4 networks are 4 bytes, IPv6 16 bytes,
/// and an IPv4-mapped IPv6 address counts as IPv4 when tested for containment (net.IP.To4).
/// </summary>
internal static class NetAddress
{
    private static readonly byte[] V4MappedPrefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

    /// <summary>A network: its masked address (4 or 16 bytes) and prefix length.</summary>
    public sealed record Network(byte[] Address, int Prefix)
    {
        public int Bits => Address.Length * 8;
    }

    /// <summary>net.ParseIP: the 16-byte form, or null.</summary>
    public static byte[]? ParseIP(string s)
    {
        if (s.Contains(':', StringComparison.Ordinal))
        {
            return ParseV6(s);
        }

        var v4 = ParseV4(s);
        return v4 is null ? null : [.. V4MappedPrefix, .. v4];
    }

    /// <summary>net.ParseCIDR: the masked network, or null when the text is not a CIDR.</summary>
    public static Network? ParseCIDR(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var addr = s[..slash];
        var bitsText = s[(slash + 1)..];
        byte[]? ip = addr.Contains(':', StringComparison.Ordinal) ? ParseV6(addr) : ParseV4(addr);
        if (ip is null || bitsText.Length == 0 || bitsText.Length > 3 || !bitsText.All(char.IsAsciiDigit))
        {
            return null;
        }

        var prefix = int.Parse(bitsText, CultureInfo.InvariantCulture);
        if (prefix > ip.Length * 8)
        {
            return null;
        }

        return new Network(Mask(ip, prefix), prefix);
    }

    public static byte[] Mask(byte[] ip, int prefix)
    {
        var result = (byte[])ip.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            result[i] &= (byte)(0xFF << (8 - keep));
        }

        return result;
    }

    /// <summary>net.IP.To4: the 4-byte form of an IPv4 or IPv4-mapped address, or null.</summary>
    public static byte[]? To4(byte[] ip)
    {
        if (ip.Length == 4)
        {
            return ip;
        }

        return ip.Length == 16 && ip.AsSpan(0, 12).SequenceEqual(V4MappedPrefix) ? ip[12..] : null;
    }

    /// <summary>net.IPNet.Contains.</summary>
    public static bool Contains(Network network, byte[] ip)
    {
        var (nn, prefix) = Effective(network);
        var addr = To4(ip) ?? ip;
        if (addr.Length != nn.Length)
        {
            return false;
        }

        return Mask(addr, prefix).AsSpan().SequenceEqual(nn);
    }

    // An IPv6 network whose address is IPv4-mapped compares as IPv4 (networkNumberAndMask in Go).
    private static (byte[] Address, int Prefix) Effective(Network network)
    {
        if (network.Address.Length == 16 && To4(network.Address) is { } v4)
        {
            return (Mask(v4, Math.Max(0, network.Prefix - 96)), Math.Max(0, network.Prefix - 96));
        }

        return (network.Address, network.Prefix);
    }

    public static byte[] LastAddress(Network network)
    {
        var result = (byte[])network.Address.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            var keep = Math.Clamp(network.Prefix - (i * 8), 0, 8);
            result[i] |= (byte)(0xFF >> keep);
        }

        return result;
    }

    public static string Format(Network network) => FormatIP(network.Address) + "/" + network.Prefix.ToString(CultureInfo.InvariantCulture);

    /// <summary>net.IP.String: dotted quad for IPv4 (and IPv4-mapped), RFC 5952 for IPv6.</summary>
    public static string FormatIP(byte[] ip)
    {
        if (To4(ip) is { } v4)
        {
            return string.Join('.', v4.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        }

        Span<int> groups = stackalloc int[8];
        for (var i = 0; i < 8; i++)
        {
            groups[i] = (ip[2 * i] << 8) | ip[(2 * i) + 1];
        }

        // The longest run of two or more zero groups becomes "::" (the first one on a tie).
        int bestStart = -1, bestLength = 0;
        for (var i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            var j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }

            if (j - i > bestLength && j - i >= 2)
            {
                bestStart = i;
                bestLength = j - i;
            }

            i = j;
        }

        var sb = new StringBuilder();
        for (var i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                sb.Append("::");
                i += bestLength - 1;
                continue;
            }

            if (sb.Length > 0 && sb[^1] != ':')
            {
                sb.Append(':');
            }

            sb.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    public static BigInteger ToInteger(byte[] ip) => new(ip, isUnsigned: true, isBigEndian: true);

    public static byte[] FromInteger(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[length];
        bytes.AsSpan(Math.Max(0, bytes.Length - length)).CopyTo(result.AsSpan(Math.Max(0, length - bytes.Length)));
        return result;
    }

    private static byte[]? ParseV4(string s)
    {
        var parts = s.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }

        var result = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (p.Length == 0 || p.Length > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0'))
            {
                return null;
            }

            var v = int.Parse(p, CultureInfo.InvariantCulture);
            if (v > 255)
            {
                return null;
            }

            result[i] = (byte)v;
        }

        return result;
    }

    private static byte[]? ParseV6(string s)
    {
        var result = new byte[16];
        var doubleColon = s.IndexOf("::", StringComparison.Ordinal);
        if (doubleColon >= 0 && s.IndexOf("::", doubleColon + 1, StringComparison.Ordinal) >= 0)
        {
            return null;
        }

        var head = doubleColon >= 0 ? s[..doubleColon] : s;
        var tail = doubleColon >= 0 ? s[(doubleColon + 2)..] : string.Empty;
        var headBytes = ParseGroups(head, allowV4: doubleColon < 0);
        var tailBytes = doubleColon >= 0 ? ParseGroups(tail, allowV4: true) : [];
        if (headBytes is null || tailBytes is null)
        {
            return null;
        }

        if (doubleColon < 0)
        {
            return headBytes.Count == 16 ? headBytes.ToArray() : null;
        }

        if (headBytes.Count + tailBytes.Count > 14)
        {
            return null;
        }

        headBytes.CopyTo(result, 0);
        tailBytes.CopyTo(result, 16 - tailBytes.Count);
        return result;
    }

    private static List<byte>? ParseGroups(string s, bool allowV4)
    {
        var bytes = new List<byte>();
        if (s.Length == 0)
        {
            return bytes;
        }

        var groups = s.Split(':');
        for (var i = 0; i < groups.Length; i++)
        {
            var g = groups[i];
            if (i == groups.Length - 1 && allowV4 && g.Contains('.', StringComparison.Ordinal))
            {
                var v4 = ParseV4(g);
                if (v4 is null)
                {
                    return null;
                }

                bytes.AddRange(v4);
                break;
            }

            if (g.Length is 0 or > 4 || !g.All(char.IsAsciiHexDigit))
            {
                return null;
            }

            var v = int.Parse(g, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            bytes.Add((byte)(v >> 8));
            bytes.Add((byte)v);
        }

        return bytes;
    }
}
