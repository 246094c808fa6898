using System.Formats.Asn1;
using System.Globalization;
using System.Net;
using System.Numerics;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// An X.509 certificate parsed from DER into the fields of Go's <c>x509.Certificate</c>, which is what OPA's
/// crypto.x509.parse_certificates returns (the struct marshalled to JSON).
/// </summary>
internal sealed class GoCertificate
{
    private readonly List<RegoValue> _extensions = [];
    private readonly List<RegoValue> _unhandledCritical = [];
    private readonly List<int> _extKeyUsage = [];
    private readonly List<RegoValue> _unknownExtKeyUsage = [];
    private readonly SanCollector _san = new();
    private List<string>? _ocsp;
    private List<string>? _issuingUrls;
    private List<string>? _crlPoints;
    private List<RegoValue>? _policyIdentifiers;
    private List<RegoValue>? _policies;
    private List<RegoValue>? _policyMappings;
    private NameConstraints? _constraints;

    private GoCertificate(byte[] raw) => Raw = raw;

    public byte[] Raw { get; }

    public byte[] RawTbs { get; private set; } = [];

    public byte[] RawSpki { get; private set; } = [];

    public byte[] RawSubject { get; private set; } = [];

    public byte[] RawIssuer { get; private set; } = [];

    public byte[] Signature { get; private set; } = [];

    public int SignatureAlgorithm { get; private set; }

    public int PublicKeyAlgorithm { get; private set; }

    public RegoValue PublicKey { get; private set; } = RegoNull.Instance;

    public int Version { get; private set; }

    public BigInteger SerialNumber { get; private set; }

    public RegoObject Issuer { get; private set; } = RegoObject.Empty;

    public RegoObject Subject { get; private set; } = RegoObject.Empty;

    public DateTimeOffset NotBefore { get; private set; }

    public DateTimeOffset NotAfter { get; private set; }

    public int KeyUsage { get; private set; }

    public bool BasicConstraintsValid { get; private set; }

    public bool IsCA { get; private set; }

    public int MaxPathLen { get; private set; }

    public byte[]? SubjectKeyId { get; private set; }

    public byte[]? AuthorityKeyId { get; private set; }

    public IReadOnlyList<int> ExtKeyUsage => _extKeyUsage;

    public bool HasUnknownExtKeyUsage => _unknownExtKeyUsage.Count > 0;

    public IReadOnlyList<string> DnsNames => _san.Dns;

    public IReadOnlyList<string> IpAddresses => _san.Ips;

    public List<string>? UriStrings => _san.Uris.Count == 0 ? null : _san.Uris.Select(u => u.Original).ToList();

    private int InhibitAnyPolicy { get; set; }

    private int InhibitPolicyMapping { get; set; }

    private int RequireExplicitPolicy { get; set; }

    private bool InhibitAnyPolicyZero { get; set; }

    private bool InhibitPolicyMappingZero { get; set; }

    private bool RequireExplicitPolicyZero { get; set; }

    /// <summary>Go's x509.ParseCertificates: consecutive DER certificates.</summary>
    public static List<GoCertificate> ParseAll(byte[] der)
    {
        var certs = new List<GoCertificate>();
        var remaining = new ReadOnlyMemory<byte>(der);
        while (remaining.Length > 0)
        {
            byte[] raw;
            try
            {
                var reader = new AsnReader(remaining, AsnEncodingRules.BER);
                raw = reader.ReadEncodedValue().ToArray();
            }
            catch (AsnContentException)
            {
                throw new BuiltinErrorException("x509: malformed certificate");
            }

            certs.Add(Parse(raw));
            remaining = remaining[raw.Length..];
        }

        return certs;
    }

    public static GoCertificate Parse(byte[] raw)
    {
        var cert = new GoCertificate(raw);
        try
        {
            cert.ParseOuter();
        }
        catch (Exception e) when (e is AsnContentException or OverflowException or ArgumentException or FormatException)
        {
            throw new BuiltinErrorException("x509: malformed certificate");
        }

        return cert;
    }

    /// <summary>The certificate as Go's json.Marshal writes x509.Certificate; OPA adds URIStrings in parse_certificates.</summary>
    public RegoObject ToGoJson(bool withUriStrings)
    {
        var shape = new GoShape()
            .Add("Raw", GoShape.Bytes(Raw))
            .Add("RawTBSCertificate", GoShape.Bytes(RawTbs))
            .Add("RawSubjectPublicKeyInfo", GoShape.Bytes(RawSpki))
            .Add("RawSubject", GoShape.Bytes(RawSubject))
            .Add("RawIssuer", GoShape.Bytes(RawIssuer))
            .Add("Signature", GoShape.Bytes(Signature))
            .Add("SignatureAlgorithm", SignatureAlgorithm)
            .Add("PublicKeyAlgorithm", PublicKeyAlgorithm)
            .Add("PublicKey", PublicKey)
            .Add("Version", Version)
            .Add("SerialNumber", RegoNumber.FromInteger(SerialNumber))
            .Add("Issuer", Issuer)
            .Add("Subject", Subject)
            .Add("NotBefore", GoTime(NotBefore))
            .Add("NotAfter", GoTime(NotAfter))
            .Add("KeyUsage", KeyUsage)
            .Add("Extensions", _extensions.Count == 0 ? RegoNull.Instance : new RegoArray(_extensions.ToArray()))
            .Add("ExtraExtensions", RegoNull.Instance)
            .Add("UnhandledCriticalExtensions", _unhandledCritical.Count == 0 ? RegoNull.Instance : new RegoArray(_unhandledCritical.ToArray()))
            .Add("ExtKeyUsage", _extKeyUsage.Count == 0 ? RegoNull.Instance : new RegoArray(_extKeyUsage.Select(u => (RegoValue)RegoNumber.FromLong(u)).ToArray()))
            .Add("UnknownExtKeyUsage", _unknownExtKeyUsage.Count == 0 ? RegoNull.Instance : new RegoArray(_unknownExtKeyUsage.ToArray()))
            .Add("BasicConstraintsValid", BasicConstraintsValid)
            .Add("IsCA", IsCA)
            .Add("MaxPathLen", MaxPathLen)
            .Add("MaxPathLenZero", BasicConstraintsValid && MaxPathLen == 0)
            .Add("SubjectKeyId", GoShape.Bytes(SubjectKeyId))
            .Add("AuthorityKeyId", GoShape.Bytes(AuthorityKeyId))
            .Add("OCSPServer", GoShape.Strings(_ocsp))
            .Add("IssuingCertificateURL", GoShape.Strings(_issuingUrls))
            .Add("DNSNames", GoShape.Strings(_san.Dns.Count == 0 ? null : _san.Dns))
            .Add("EmailAddresses", GoShape.Strings(_san.Emails.Count == 0 ? null : _san.Emails))
            .Add("IPAddresses", GoShape.Strings(_san.Ips.Count == 0 ? null : _san.Ips))
            .Add("URIs", _san.Uris.Count == 0 ? RegoNull.Instance : new RegoArray(_san.Uris.Select(u => (RegoValue)u.ToGoJson()).ToArray()))
            .Add("PermittedDNSDomainsCritical", _constraints?.Critical ?? false)
            .Add("PermittedDNSDomains", GoShape.Strings(_constraints?.PermittedDns))
            .Add("ExcludedDNSDomains", GoShape.Strings(_constraints?.ExcludedDns))
            .Add("PermittedIPRanges", GoShape.Array(_constraints?.PermittedIps))
            .Add("ExcludedIPRanges", GoShape.Array(_constraints?.ExcludedIps))
            .Add("PermittedEmailAddresses", GoShape.Strings(_constraints?.PermittedEmails))
            .Add("ExcludedEmailAddresses", GoShape.Strings(_constraints?.ExcludedEmails))
            .Add("PermittedURIDomains", GoShape.Strings(_constraints?.PermittedUris))
            .Add("ExcludedURIDomains", GoShape.Strings(_constraints?.ExcludedUris))
            .Add("CRLDistributionPoints", GoShape.Strings(_crlPoints))
            .Add("PolicyIdentifiers", GoShape.Array(_policyIdentifiers))
            .Add("Policies", GoShape.Array(_policies))
            .Add("InhibitAnyPolicy", InhibitAnyPolicy)
            .Add("InhibitAnyPolicyZero", InhibitAnyPolicyZero)
            .Add("InhibitPolicyMapping", InhibitPolicyMapping)
            .Add("InhibitPolicyMappingZero", InhibitPolicyMappingZero)
            .Add("RequireExplicitPolicy", RequireExplicitPolicy)
            .Add("RequireExplicitPolicyZero", RequireExplicitPolicyZero)
            .Add("PolicyMappings", GoShape.Array(_policyMappings));
        if (withUriStrings)
        {
            shape.Add("URIStrings", GoShape.Strings(UriStrings));
        }

        return shape.Build();
    }

    /// <summary>Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped).</summary>
    public static RegoString GoTime(DateTimeOffset t)
    {
        var utc = t.ToUniversalTime();
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.');
        return new RegoString(text + "Z");
    }

    private void ParseOuter()
    {
        var certificate = new AsnReader(Raw, AsnEncodingRules.BER).ReadSequence();
        var tbsRaw = certificate.ReadEncodedValue();
        RawTbs = tbsRaw.ToArray();
        var signatureAlgorithm = certificate.ReadEncodedValue();
        SignatureAlgorithm = X509Asn1.SignatureAlgorithm(signatureAlgorithm);
        Signature = certificate.ReadBitString(out _);

        var tbs = new AsnReader(tbsRaw, AsnEncodingRules.BER).ReadSequence();
        var version = 0;
        if (X509Asn1.IsConstructedTag(tbs, 0))
        {
            version = (int)tbs.ReadSequence(X509Asn1.Context(0, true)).ReadInteger();
            if (version is < 0 or > 2)
            {
                throw new BuiltinErrorException("x509: invalid version");
            }
        }

        Version = version + 1;
        SerialNumber = tbs.ReadInteger();
        if (SerialNumber.Sign < 0)
        {
            // Go 1.23+ rejects negative serials unless GODEBUG x509negativeserial=1.
            throw new BuiltinErrorException("x509: negative serial number");
        }
        tbs.ReadSequence();
        var issuer = tbs.ReadEncodedValue();
        RawIssuer = issuer.ToArray();
        Issuer = X509Asn1.Name(issuer);
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        var subject = tbs.ReadEncodedValue();
        RawSubject = subject.ToArray();
        Subject = X509Asn1.Name(subject);
        var spki = tbs.ReadEncodedValue();
        RawSpki = spki.ToArray();
        (PublicKeyAlgorithm, PublicKey) = X509Asn1.PublicKey(spki);

        while (tbs.HasData)
        {
            if (X509Asn1.IsConstructedTag(tbs, 3))
            {
                var extensions = tbs.ReadSequence(X509Asn1.Context(3, true)).ReadSequence();
                foreach (var (oid, critical, value) in X509Asn1.Extensions(extensions))
                {
                    _extensions.Add(X509Asn1.Extension(oid, critical, value));
                    if (!ProcessExtension(oid, critical, value) && critical)
                    {
                        _unhandledCritical.Add(GoShape.OidArray(oid));
                    }
                }
            }
            else
            {
                tbs.ReadEncodedValue();
            }
        }
    }

    private static DateTimeOffset ReadTime(AsnReader reader)
    {
        var tag = reader.PeekTag();
        return tag.HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
    }

    /// <summary>Fills the fields Go derives from an extension; false when Go leaves the extension unhandled.</summary>
    private bool ProcessExtension(string oid, bool critical, byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.BER);
        switch (oid)
        {
            case "2.5.29.15":
                {
                    var bits = reader.ReadBitString(out var unused);
                    var usage = 0;
                    var bitCount = (bits.Length * 8) - unused;
                    for (var i = 0; i < 9 && i < bitCount; i++)
                    {
                        if ((bits[i / 8] & (0x80 >> (i % 8))) != 0)
                        {
                            usage |= 1 << i;
                        }
                    }

                    KeyUsage = usage;
                    return true;
                }

            case "2.5.29.19":
                {
                    var seq = reader.ReadSequence();
                    IsCA = seq.HasData && seq.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && seq.ReadBoolean();
                    MaxPathLen = seq.HasData ? (int)seq.ReadInteger() : -1;
                    BasicConstraintsValid = true;
                    return true;
                }

            case "2.5.29.17":
                X509Asn1.GeneralNames(reader.ReadSequence(), _san);
                return !_san.IsEmpty || _san.Other == 0;
            case "2.5.29.30":
                _constraints = NameConstraints.Parse(reader.ReadSequence(), critical);
                return true;
            case "2.5.29.31":
                {
                    _crlPoints = [];
                    var points = reader.ReadSequence();
                    while (points.HasData)
                    {
                        var point = points.ReadSequence();
                        if (!X509Asn1.IsConstructedTag(point, 0))
                        {
                            continue;
                        }

                        var name = point.ReadSequence(X509Asn1.Context(0, true));
                        if (!X509Asn1.IsConstructedTag(name, 0))
                        {
                            continue;
                        }

                        var collector = new SanCollector();
                        X509Asn1.GeneralNames(name.ReadSequence(X509Asn1.Context(0, true)), collector);
                        _crlPoints.AddRange(collector.Uris.Select(u => u.Original));
                    }

                    return true;
                }

            case "2.5.29.35":
                {
                    var seq = reader.ReadSequence();
                    if (X509Asn1.IsTag(seq, 0))
                    {
                        AuthorityKeyId = seq.ReadOctetString(X509Asn1.Context(0));
                    }

                    return true;
                }

            case "2.5.29.37":
                {
                    var seq = reader.ReadSequence();
                    while (seq.HasData)
                    {
                        var usage = seq.ReadObjectIdentifier();
                        var number = X509Asn1.ExtKeyUsageNumber(usage);
                        if (number >= 0)
                        {
                            _extKeyUsage.Add(number);
                        }
                        else
                        {
                            _unknownExtKeyUsage.Add(GoShape.OidArray(usage));
                        }
                    }

                    return true;
                }

            case "2.5.29.14":
                SubjectKeyId = reader.ReadOctetString();
                return true;
            case "2.5.29.32":
                {
                    _policyIdentifiers = [];
                    _policies = [];
                    var seq = reader.ReadSequence();
                    while (seq.HasData)
                    {
                        var policy = seq.ReadSequence().ReadObjectIdentifier();
                        _policyIdentifiers.Add(GoShape.OidArray(policy));
                        _policies.Add(new RegoString(policy));
                    }

                    return true;
                }

            case "2.5.29.33":
                {
                    _policyMappings = [];
                    var seq = reader.ReadSequence();
                    while (seq.HasData)
                    {
                        var mapping = seq.ReadSequence();
                        _policyMappings.Add(new GoShape()
                            .Add("IssuerDomainPolicy", mapping.ReadObjectIdentifier())
                            .Add("SubjectDomainPolicy", mapping.ReadObjectIdentifier())
                            .Build());
                    }

                    return true;
                }

            case "2.5.29.36":
                {
                    var seq = reader.ReadSequence();
                    if (X509Asn1.IsTag(seq, 0))
                    {
                        RequireExplicitPolicy = (int)seq.ReadInteger(X509Asn1.Context(0));
                        RequireExplicitPolicyZero = RequireExplicitPolicy == 0;
                    }

                    if (X509Asn1.IsTag(seq, 1))
                    {
                        InhibitPolicyMapping = (int)seq.ReadInteger(X509Asn1.Context(1));
                        InhibitPolicyMappingZero = InhibitPolicyMapping == 0;
                    }

                    return true;
                }

            case "2.5.29.54":
                InhibitAnyPolicy = (int)reader.ReadInteger();
                InhibitAnyPolicyZero = InhibitAnyPolicy == 0;
                return true;
            case "1.3.6.1.5.5.7.1.1":
                {
                    var seq = reader.ReadSequence();
                    while (seq.HasData)
                    {
                        var access = seq.ReadSequence();
                        var method = access.ReadObjectIdentifier();
                        var tag = access.PeekTag();
                        if (!tag.HasSameClassAndValue(X509Asn1.Context(6)))
                        {
                            continue;
                        }

                        var location = access.ReadCharacterString(UniversalTagNumber.IA5String, X509Asn1.Context(6));
                        if (method == "1.3.6.1.5.5.7.48.1")
                        {
                            (_ocsp ??= []).Add(location);
                        }
                        else if (method == "1.3.6.1.5.5.7.48.2")
                        {
                            (_issuingUrls ??= []).Add(location);
                        }
                    }

                    return true;
                }

            default:
                return false;
        }
    }

    /// <summary>The name constraints extension as Go splits it.</summary>
    private sealed class NameConstraints
    {
        public bool Critical { get; private init; }

        public List<string>? PermittedDns { get; private set; }

        public List<string>? ExcludedDns { get; private set; }

        public List<RegoValue>? PermittedIps { get; private set; }

        public List<RegoValue>? ExcludedIps { get; private set; }

        public List<string>? PermittedEmails { get; private set; }

        public List<string>? ExcludedEmails { get; private set; }

        public List<string>? PermittedUris { get; private set; }

        public List<string>? ExcludedUris { get; private set; }

        public static NameConstraints Parse(AsnReader seq, bool critical)
        {
            var result = new NameConstraints { Critical = critical };
            if (X509Asn1.IsConstructedTag(seq, 0))
            {
                var (dns, ips, emails, uris) = Subtrees(seq.ReadSequence(X509Asn1.Context(0, true)));
                (result.PermittedDns, result.PermittedIps, result.PermittedEmails, result.PermittedUris) = (dns, ips, emails, uris);
            }

            if (X509Asn1.IsConstructedTag(seq, 1))
            {
                var (dns, ips, emails, uris) = Subtrees(seq.ReadSequence(X509Asn1.Context(1, true)));
                (result.ExcludedDns, result.ExcludedIps, result.ExcludedEmails, result.ExcludedUris) = (dns, ips, emails, uris);
            }

            return result;
        }

        private static (List<string>?, List<RegoValue>?, List<string>?, List<string>?) Subtrees(AsnReader subtrees)
        {
            List<string>? dns = null, emails = null, uris = null;
            List<RegoValue>? ips = null;
            while (subtrees.HasData)
            {
                var subtree = subtrees.ReadSequence();
                var tag = subtree.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 1:
                        (emails ??= []).Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 2:
                        (dns ??= []).Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 6:
                        (uris ??= []).Add(subtree.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 7:
                        {
                            var bytes = subtree.ReadOctetString(tag);
                            if (bytes.Length is not (8 or 32))
                            {
                                throw new BuiltinErrorException($"x509: IP constraint contained value of length {bytes.Length}");
                            }

                            var half = bytes.Length / 2;
                            (ips ??= []).Add(new GoShape()
                                .Add("IP", new IPAddress(bytes.AsSpan(0, half)).ToString())
                                .Add("Mask", Convert.ToBase64String(bytes, half, half))
                                .Build());
                            break;
                        }

                    default:
                        break;
                }
            }

            return (dns, ips, emails, uris);
        }
    }
}
