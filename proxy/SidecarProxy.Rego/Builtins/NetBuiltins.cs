using System.Numerics;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Builtins.NetAddress;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// net.cidr_* builtins (OPA's topdown/cidr.go) for IPv4 and IPv6. net.lookup_ip_addr is deliberately absent:
/// policy evaluation does no network I/O.
/// </summary>
internal static class NetBuiltins
{
    private const int MaxExpand = 1 << 22;

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add("net.cidr_contains", 2, (_, a) => RegoBoolean.From(CidrContains(a[0], a[1])));
        registry.Add("net.cidr_intersects", 2, Intersects);
        registry.Add("net.cidr_is_valid", 1, (_, a) => RegoBoolean.From(a[0] is RegoString s && ParseCIDR(s.Value) is not null));
        registry.Add("net.cidr_expand", 1, Expand);
        registry.Add("net.cidr_merge", 1, (_, a) => NetCidrMerge.Merge(a[0]));
        registry.Add("net.cidr_contains_matches", 2, ContainsMatches);
    }

    private static Network NetworkOperand(RegoValue value)
    {
        var s = value is RegoString str ? str.Value : throw new BuiltinTypeException($"operand 1 must be string but got {value.TypeName}");
        return ParseCIDR(s) ?? throw new BuiltinErrorException($"invalid CIDR address: {s}");
    }

    private static bool CidrContains(RegoValue cidr, RegoValue addressOrCidr)
    {
        var a = NetworkOperand(cidr);
        var text = addressOrCidr is RegoString s ? s.Value : throw new BuiltinTypeException($"operand 1 must be string but got {addressOrCidr.TypeName}");
        if (ParseIP(text) is { } ip)
        {
            return Contains(a, ip);
        }

        var b = ParseCIDR(text) ?? throw new BuiltinErrorException($"not a valid textual representation of an IP address or CIDR: {text}");

        // A contains B exactly when it contains both B's first and last addresses.
        return Contains(a, b.Address) && Contains(a, LastAddress(b));
    }

    private static RegoBoolean Intersects(BuiltinContext context, RegoValue[] args)
    {
        var a = NetworkOperand(args[0]);
        var b = NetworkOperand(args[1]);
        return RegoBoolean.From(Contains(a, b.Address) || Contains(b, a.Address));
    }

    private static RegoSet Expand(BuiltinContext context, RegoValue[] args)
    {
        var text = Operands.String(args, 0);
        var network = ParseCIDR(text) ?? throw new BuiltinErrorException($"invalid CIDR address: {text}");
        var first = ToInteger(network.Address);
        var count = BigInteger.One << (network.Bits - network.Prefix);

        // OPA has no limit, but a /0 would exhaust memory long before any deadline: refuse huge ranges.
        if (count > MaxExpand)
        {
            throw new BuiltinErrorException($"CIDR {text} has more than {MaxExpand} addresses");
        }

        var result = new List<RegoValue>();
        for (var i = BigInteger.Zero; i < count; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
            }

            result.Add(new RegoString(FormatIP(FromInteger(first + i, network.Address.Length))));
        }

        return RegoSet.From(result);
    }

    private static RegoSet ContainsMatches(BuiltinContext context, RegoValue[] args)
    {
        var result = new List<RegoValue>();
        foreach (var (cidr1, index1) in MatchOperand(1, args[0]))
        {
            foreach (var (cidr2, index2) in MatchOperand(2, args[1]))
            {
                if (CidrContains(cidr1, cidr2))
                {
                    result.Add(new RegoArray([index1, index2]));
                }
            }
        }

        return RegoSet.From(result);
    }

    private static List<(RegoValue Cidr, RegoValue Index)> MatchOperand(int operand, RegoValue value)
    {
        var list = new List<(RegoValue, RegoValue)>();
        switch (value)
        {
            case RegoString:
                list.Add((value, value));
                break;
            case RegoArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    list.Add((MatchTerm(operand, a[i]), RegoNumber.FromLong(i)));
                }

                break;
            case RegoSet s:
                foreach (var x in s.Items)
                {
                    list.Add((MatchTerm(operand, x), x));
                }

                break;
            case RegoObject o:
                foreach (var (k, v) in o.Entries)
                {
                    list.Add((MatchTerm(operand, v), k));
                }

                break;
        }

        return list;
    }

    // An element is a CIDR string, or an array whose first element is the CIDR (the rest is the caller's data).
    private static RegoValue MatchTerm(int operand, RegoValue element) => element switch
    {
        RegoString => element,
        RegoArray { Count: > 0 } a => a[0],
        _ => throw new BuiltinErrorException($"operand {operand}: element must be string or non-empty array"),
    };
}
