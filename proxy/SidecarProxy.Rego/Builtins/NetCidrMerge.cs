using System.Globalization;
using System.Numerics;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Builtins.NetAddress;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// net.cidr_merge: the smallest list of CIDRs covering the inputs. Ranges are compared in the 128-bit space
/// (IPv4 mapped to ::ffff:0:0/96) sorted by last then first address, merged when adjacent or overlapping; a
/// merged range becomes its minimal CIDR cover, an unmerged input is returned as written.
/// </summary>
internal static class NetCidrMerge
{
    private static readonly BigInteger V4MappedBase = BigInteger.Parse("281470681743360", CultureInfo.InvariantCulture); // ::ffff:0.0.0.0

    private sealed record Range(BigInteger First, BigInteger Last, string? Original);

    public static RegoSet Merge(RegoValue operand)
    {
        var elements = operand switch
        {
            RegoArray a => a.Items.ToArray(),
            RegoSet s => s.Items.ToArray(),
            _ => throw new BuiltinErrorException("operand must be an array"),
        };

        var ranges = elements.Select(ToRange).ToList();
        ranges.Sort((x, y) => x.Last != y.Last ? x.Last.CompareTo(y.Last) : x.First.CompareTo(y.First));
        for (var i = ranges.Count - 1; i > 0; i--)
        {
            var previous = Previous(ranges[i].First);
            if (previous <= ranges[i - 1].Last)
            {
                ranges[i - 1] = new Range(BigInteger.Min(ranges[i - 1].First, ranges[i].First), ranges[i].Last, null);
                ranges.RemoveAt(i);
            }
        }

        var result = new List<RegoValue>();
        foreach (var r in ranges)
        {
            if (r.Original is not null)
            {
                result.Add(new RegoString(r.Original));
            }
            else
            {
                result.AddRange(Cover(r.First, r.Last).Select(c => (RegoValue)new RegoString(c)));
            }
        }

        return RegoSet.From(result);
    }

    private static Range ToRange(RegoValue element)
    {
        var text = element is RegoString s ? s.Value : throw new BuiltinErrorException("element must be string");
        Network network;
        string original;
        if (ParseIP(text) is { } ip)
        {
            var v4 = To4(ip) ?? throw new BuiltinErrorException("IPv6 invalid: needs prefix length");

            // A bare IPv4 address takes its classful default mask, unmasked, as Go's net.IP.DefaultMask gives it.
            var prefix = v4[0] < 0x80 ? 8 : v4[0] < 0xC0 ? 16 : 24;
            network = new Network(Mask(v4, prefix), prefix);
            original = FormatIP(v4) + "/" + prefix.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            network = ParseCIDR(text) ?? throw new BuiltinErrorException($"invalid CIDR address: {text}");
            original = Format(network);
        }

        var first = ToInteger(network.Address);
        var last = ToInteger(LastAddress(network));
        if (network.Address.Length == 4)
        {
            first += V4MappedBase;
            last += V4MappedBase;
        }

        return new Range(first, last, original);
    }

    private static BigInteger Previous(BigInteger ip) => ip.IsZero || ip == V4MappedBase ? ip : ip - 1;

    // The minimal list of aligned blocks covering [first, last].
    private static List<string> Cover(BigInteger first, BigInteger last)
    {
        var isV4 = first >= V4MappedBase && last < V4MappedBase + (BigInteger.One << 32);
        var bits = isV4 ? 32 : 128;
        var offset = isV4 ? V4MappedBase : BigInteger.Zero;
        var start = first - offset;
        var end = last - offset;
        var result = new List<string>();
        while (start <= end)
        {
            var size = bits;
            while (size > 0)
            {
                var block = BigInteger.One << (bits - size + 1);
                if (start % block != 0 || start + block - 1 > end)
                {
                    break;
                }

                size--;
            }

            var bytes = FromInteger(start, bits / 8);
            result.Add(Format(new Network(bytes, size)));
            start += BigInteger.One << (bits - size);
        }

        return result;
    }
}
