using System.Formats.Asn1;
using System.Net;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// DER pieces of X.509 shared by certificates and certificate requests, rendered the way Go's
/// <c>encoding/json</c> renders the matching <c>crypto/x509</c> and <c>crypto/x509/pkix</c> types.
/// </summary>
internal static class X509Asn1
{
    private static readonly Asn1Tag Ctx0 = new(TagClass.ContextSpecific, 0);

    /// <summary>Go's pkix.Name: the well-known attributes lifted out, every attribute in Names.</summary>
    public static RegoObject Name(ReadOnlyMemory<byte> rawName)
    {
        var country = new List<string>();
        var organization = new List<string>();
        var unit = new List<string>();
        var locality = new List<string>();
        var province = new List<string>();
        var street = new List<string>();
        var postal = new List<string>();
        var serial = string.Empty;
        var commonName = string.Empty;
        var names = new List<RegoValue>();

        var sequence = new AsnReader(rawName, AsnEncodingRules.BER).ReadSequence();
        while (sequence.HasData)
        {
            var set = sequence.ReadSetOf(skipSortOrderValidation: true);
            while (set.HasData)
            {
                var atv = set.ReadSequence();
                var oid = atv.ReadObjectIdentifier();
                var value = ReadAttributeString(atv);
                names.Add(new GoShape().Add("Type", GoShape.OidArray(oid)).Add("Value", value).Build());
                switch (oid)
                {
                    case "2.5.4.6": country.Add(value); break;
                    case "2.5.4.10": organization.Add(value); break;
                    case "2.5.4.11": unit.Add(value); break;
                    case "2.5.4.3": commonName = value; break;
                    case "2.5.4.5": serial = value; break;
                    case "2.5.4.7": locality.Add(value); break;
                    case "2.5.4.8": province.Add(value); break;
                    case "2.5.4.9": street.Add(value); break;
                    case "2.5.4.17": postal.Add(value); break;
                    default: break;
                }
            }
        }

        return new GoShape()
            .Add("Country", NullIfEmpty(country))
            .Add("Organization", NullIfEmpty(organization))
            .Add("OrganizationalUnit", NullIfEmpty(unit))
            .Add("Locality", NullIfEmpty(locality))
            .Add("Province", NullIfEmpty(province))
            .Add("StreetAddress", NullIfEmpty(street))
            .Add("PostalCode", NullIfEmpty(postal))
            .Add("SerialNumber", serial)
            .Add("CommonName", commonName)
            .Add("Names", names.Count == 0 ? RegoNull.Instance : new RegoArray(names.ToArray()))
            .Add("ExtraNames", RegoNull.Instance)
            .Build();
    }

    private static RegoValue NullIfEmpty(List<string> items) => GoShape.Strings(items.Count == 0 ? null : items);

    private static string ReadAttributeString(AsnReader reader)
    {
        var tag = reader.PeekTag();
        if (tag.TagClass == TagClass.Universal)
        {
            switch ((UniversalTagNumber)tag.TagValue)
            {
                case UniversalTagNumber.PrintableString:
                case UniversalTagNumber.UTF8String:
                case UniversalTagNumber.IA5String:
                case UniversalTagNumber.BMPString:
                case UniversalTagNumber.NumericString:
                case UniversalTagNumber.T61String:
                    return reader.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                default:
                    break;
            }
        }

        throw new BuiltinErrorException("x509: invalid RDNSequence: invalid attribute value: unsupported string type");
    }

    /// <summary>Go's x509.SignatureAlgorithm number for an AlgorithmIdentifier.</summary>
    public static int SignatureAlgorithm(ReadOnlyMemory<byte> algorithmIdentifier)
    {
        var seq = new AsnReader(algorithmIdentifier, AsnEncodingRules.BER).ReadSequence();
        var oid = seq.ReadObjectIdentifier();
        return oid switch
        {
            "1.2.840.113549.1.1.2" => 1,
            "1.2.840.113549.1.1.4" => 2,
            "1.2.840.113549.1.1.5" or "1.3.14.3.2.29" => 3,
            "1.2.840.113549.1.1.11" => 4,
            "1.2.840.113549.1.1.12" => 5,
            "1.2.840.113549.1.1.13" => 6,
            "1.2.840.10040.4.3" => 7,
            "2.16.840.1.101.3.4.3.2" => 8,
            "1.2.840.10045.4.1" => 9,
            "1.2.840.10045.4.3.2" => 10,
            "1.2.840.10045.4.3.3" => 11,
            "1.2.840.10045.4.3.4" => 12,
            "1.2.840.113549.1.1.10" => PssAlgorithm(seq),
            "1.3.101.112" => 16,
            _ => 0,
        };
    }

    private static int PssAlgorithm(AsnReader algorithm)
    {
        try
        {
            var parameters = algorithm.ReadSequence();
            var hash = parameters.HasData && parameters.PeekTag().HasSameClassAndValue(Ctx0)
                ? parameters.ReadSequence(Ctx0).ReadSequence().ReadObjectIdentifier()
                : "1.3.14.3.2.26";
            return hash switch
            {
                "2.16.840.1.101.3.4.2.1" => 13,
                "2.16.840.1.101.3.4.2.2" => 14,
                "2.16.840.1.101.3.4.2.3" => 15,
                _ => 0,
            };
        }
        catch (AsnContentException)
        {
            return 0;
        }
    }

    /// <summary>Go's PublicKeyAlgorithm number and the key as Go marshals it (null when the algorithm is unknown).</summary>
    public static (int Algorithm, RegoValue Key) PublicKey(ReadOnlyMemory<byte> spki)
    {
        var seq = new AsnReader(spki, AsnEncodingRules.BER).ReadSequence();
        var algorithm = seq.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        var bits = seq.ReadBitString(out _);
        switch (oid)
        {
            case PrivateKeys.OidRsa:
                {
                    var key = new AsnReader(bits, AsnEncodingRules.BER).ReadSequence();
                    var n = key.ReadInteger();
                    var e = key.ReadInteger();
                    if (n.Sign <= 0 || e.Sign <= 0)
                    {
                        throw new BuiltinErrorException("x509: RSA modulus is not a positive number");
                    }

                    return (1, new GoShape().Add("N", RegoNumber.FromInteger(n)).Add("E", RegoNumber.FromInteger(e)).Build());
                }

            case PrivateKeys.OidEc:
                {
                    var curve = algorithm.ReadObjectIdentifier();
                    var size = curve switch
                    {
                        "1.2.840.10045.3.1.7" => 32,
                        "1.3.132.0.34" => 48,
                        "1.3.132.0.35" => 66,
                        "1.3.132.0.33" => 28,
                        _ => throw new BuiltinErrorException("x509: unsupported elliptic curve"),
                    };
                    if (bits.Length != 1 + (2 * size) || bits[0] != 4)
                    {
                        throw new BuiltinErrorException("x509: failed to unmarshal elliptic curve point");
                    }

                    return (3, new GoShape()
                        .Add("Curve", RegoObject.Empty)
                        .Add("X", GoShape.Unsigned(bits.AsSpan(1, size)))
                        .Add("Y", GoShape.Unsigned(bits.AsSpan(1 + size, size)))
                        .Build());
                }

            case PrivateKeys.OidEd25519:
                if (bits.Length != Ed25519.PublicKeySize)
                {
                    throw new BuiltinErrorException("x509: wrong Ed25519 public key size");
                }

                return (4, new RegoString(Convert.ToBase64String(bits)));
            case "1.2.840.10040.4.1":
                {
                    var y = new AsnReader(bits, AsnEncodingRules.BER).ReadInteger();
                    var p = algorithm.ReadSequence();
                    var parameters = new GoShape()
                        .Add("P", RegoNumber.FromInteger(p.ReadInteger()))
                        .Add("Q", RegoNumber.FromInteger(p.ReadInteger()))
                        .Add("G", RegoNumber.FromInteger(p.ReadInteger()))
                        .Build();
                    return (2, new GoShape().Add("Parameters", parameters).Add("Y", RegoNumber.FromInteger(y)).Build());
                }

            default:
                return (0, RegoNull.Instance);
        }
    }

    /// <summary>The names of a GeneralNames sequence that Go keeps: DNS, email, IP and URI.</summary>
    public static void GeneralNames(AsnReader names, SanCollector into)
    {
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                names.ReadEncodedValue();
                continue;
            }

            switch (tag.TagValue)
            {
                case 1:
                    into.Emails.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 2:
                    into.Dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                    break;
                case 6:
                    {
                        var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, tag);
                        into.Uris.Add(GoUrl.Parse(uri) ?? throw new BuiltinErrorException($"x509: cannot parse URI \"{uri}\""));
                        break;
                    }

                case 7:
                    {
                        var ip = names.ReadOctetString(tag);
                        if (ip.Length is not (4 or 16))
                        {
                            throw new BuiltinErrorException($"x509: cannot parse IP address of length {ip.Length}");
                        }

                        into.Ips.Add(new IPAddress(ip).ToString());
                        break;
                    }

                default:
                    names.ReadEncodedValue();
                    into.Other++;
                    break;
            }
        }
    }

    /// <summary>Go's pkix.Extension.</summary>
    public static RegoObject Extension(string oid, bool critical, byte[] value) => new GoShape()
        .Add("Id", GoShape.OidArray(oid))
        .Add("Critical", critical)
        .Add("Value", GoShape.Bytes(value))
        .Build();

    /// <summary>Reads the extensions of a certificate (or request): a SEQUENCE OF Extension.</summary>
    public static List<(string Oid, bool Critical, byte[] Value)> Extensions(AsnReader sequence)
    {
        var result = new List<(string, bool, byte[])>();
        while (sequence.HasData)
        {
            var ext = sequence.ReadSequence();
            var oid = ext.ReadObjectIdentifier();
            var critical = ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && ext.ReadBoolean();
            result.Add((oid, critical, ext.ReadOctetString()));
        }

        return result;
    }

    public static int ExtKeyUsageNumber(string oid) => oid switch
    {
        "2.5.29.37.0" => 0,
        "1.3.6.1.5.5.7.3.1" => 1,
        "1.3.6.1.5.5.7.3.2" => 2,
        "1.3.6.1.5.5.7.3.3" => 3,
        "1.3.6.1.5.5.7.3.4" => 4,
        "1.3.6.1.5.5.7.3.5" => 5,
        "1.3.6.1.5.5.7.3.6" => 6,
        "1.3.6.1.5.5.7.3.7" => 7,
        "1.3.6.1.5.5.7.3.8" => 8,
        "1.3.6.1.5.5.7.3.9" => 9,
        "1.3.6.1.4.1.311.10.3.3" => 10,
        "2.16.840.1.113730.4.1" => 11,
        "1.3.6.1.4.1.311.2.1.22" => 12,
        "1.3.6.1.4.1.311.61.1.1" => 13,
        _ => -1,
    };

    public static bool IsTag(AsnReader reader, int contextTag) =>
        reader.HasData && reader.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, contextTag));

    public static bool IsConstructedTag(AsnReader reader, int contextTag) =>
        reader.HasData && reader.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, contextTag, isConstructed: true));

    public static Asn1Tag Context(int value, bool constructed = false) => new(TagClass.ContextSpecific, value, constructed);
}

/// <summary>Subject alternative names gathered from GeneralNames.</summary>
internal sealed class SanCollector
{
    public List<string> Dns { get; } = [];

    public List<string> Emails { get; } = [];

    public List<string> Ips { get; } = [];

    public List<GoUrl> Uris { get; } = [];

    public int Other { get; set; }

    public bool IsEmpty => Dns.Count == 0 && Emails.Count == 0 && Ips.Count == 0 && Uris.Count == 0;
}

/// <summary>A URL split as Go's net/url does for the common forms found in certificates (SPIFFE IDs, https URLs).</summary>
internal sealed class GoUrl
{
    public string Original { get; private init; } = string.Empty;

    public string Scheme { get; private init; } = string.Empty;

    public string Opaque { get; private init; } = string.Empty;

    public bool HasUser { get; private init; }

    public string Host { get; private init; } = string.Empty;

    public string Path { get; private init; } = string.Empty;

    public bool ForceQuery { get; private init; }

    public string RawQuery { get; private init; } = string.Empty;

    public string Fragment { get; private init; } = string.Empty;

    public static GoUrl? Parse(string raw)
    {
        var rest = raw;
        var fragment = string.Empty;
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            fragment = Uri.UnescapeDataString(rest[(hash + 1)..]);
            rest = rest[..hash];
        }

        var scheme = string.Empty;
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && char.IsAsciiLetter(rest[0]) && rest[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            scheme = rest[..colon].ToLowerInvariant();
            rest = rest[(colon + 1)..];
        }

        var forceQuery = false;
        var rawQuery = string.Empty;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            rawQuery = rest[(q + 1)..];
            forceQuery = rawQuery.Length == 0;
            rest = rest[..q];
        }

        if (scheme.Length > 0 && !rest.StartsWith('/'))
        {
            return new GoUrl { Original = raw, Scheme = scheme, Opaque = rest, RawQuery = rawQuery, ForceQuery = forceQuery, Fragment = fragment };
        }

        var host = string.Empty;
        var hasUser = false;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            rest = rest[2..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var authority = slash >= 0 ? rest[..slash] : rest;
            rest = slash >= 0 ? rest[slash..] : string.Empty;
            var at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                hasUser = true;
                authority = authority[(at + 1)..];
            }

            host = authority;
        }

        string path;
        try
        {
            path = Uri.UnescapeDataString(rest);
        }
        catch (UriFormatException)
        {
            return null;
        }

        return new GoUrl { Original = raw, Scheme = scheme, HasUser = hasUser, Host = host, Path = path, RawQuery = rawQuery, ForceQuery = forceQuery, Fragment = fragment };
    }

    /// <summary>Go's url.URL struct as JSON.</summary>
    public RegoObject ToGoJson() => new GoShape()
        .Add("Scheme", Scheme)
        .Add("Opaque", Opaque)
        .Add("User", HasUser ? RegoObject.Empty : RegoNull.Instance)
        .Add("Host", Host)
        .Add("Path", Path)
        .Add("RawPath", string.Empty)
        .Add("OmitHost", false)
        .Add("ForceQuery", ForceQuery)
        .Add("RawQuery", RawQuery)
        .Add("Fragment", Fragment)
        .Add("RawFragment", string.Empty)
        .Build();
}
