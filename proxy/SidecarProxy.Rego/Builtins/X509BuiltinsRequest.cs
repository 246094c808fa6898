using System.Formats.Asn1;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A PKCS #10 certificate request rendered as Go's json.Marshal writes x509.CertificateRequest.</summary>
internal static class GoCertificateRequest
{
    private const string ExtensionRequestOid = "1.2.840.113549.1.9.14";

    public static RegoObject Parse(byte[] der)
    {
        try
        {
            return ParseUnchecked(der);
        }
        catch (Exception e) when (e is AsnContentException or OverflowException or ArgumentException)
        {
            throw new BuiltinErrorException("x509: malformed certificate request");
        }
    }

    private static RegoObject ParseUnchecked(byte[] der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.BER);
        var raw = outer.ReadEncodedValue();
        if (outer.HasData)
        {
            throw new BuiltinErrorException("x509: trailing data after certificate request");
        }

        var request = new AsnReader(raw, AsnEncodingRules.BER).ReadSequence();
        var infoRaw = request.ReadEncodedValue();
        var signatureAlgorithm = X509Asn1.SignatureAlgorithm(request.ReadEncodedValue());
        var signature = request.ReadBitString(out _);

        var info = new AsnReader(infoRaw, AsnEncodingRules.BER).ReadSequence();
        var version = (int)info.ReadInteger();
        var subject = info.ReadEncodedValue();
        var spki = info.ReadEncodedValue();
        var (publicKeyAlgorithm, publicKey) = X509Asn1.PublicKey(spki);

        var attributes = new List<RegoValue>();
        var extensions = new List<RegoValue>();
        var san = new SanCollector();
        if (X509Asn1.IsConstructedTag(info, 0))
        {
            var set = info.ReadSetOf(skipSortOrderValidation: true, expectedTag: X509Asn1.Context(0, true));
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf(skipSortOrderValidation: true);
                if (type != ExtensionRequestOid)
                {
                    continue;
                }

                // Go's deprecated Attributes field keeps the extension request as (type, value) pairs.
                var pairs = new List<RegoValue>();
                foreach (var (oid, critical, value) in X509Asn1.Extensions(values.ReadSequence()))
                {
                    extensions.Add(X509Asn1.Extension(oid, critical, value));
                    // Go reads each Extension into (Type, Value): Value is the element after the OID, the critical flag when present.
                    var pairValue = critical ? RegoBoolean.True : GoShape.Bytes(value);
                    pairs.Add(new GoShape().Add("Type", GoShape.OidArray(oid)).Add("Value", pairValue).Build());
                    if (oid == "2.5.29.17")
                    {
                        X509Asn1.GeneralNames(new AsnReader(value, AsnEncodingRules.BER).ReadSequence(), san);
                    }
                }

                attributes.Add(new GoShape()
                    .Add("Type", GoShape.OidArray(type))
                    .Add("Value", new RegoArray([new RegoArray(pairs.ToArray())]))
                    .Build());
            }
        }

        return new GoShape()
            .Add("Raw", GoShape.Bytes(raw.ToArray()))
            .Add("RawTBSCertificateRequest", GoShape.Bytes(infoRaw.ToArray()))
            .Add("RawSubjectPublicKeyInfo", GoShape.Bytes(spki.ToArray()))
            .Add("RawSubject", GoShape.Bytes(subject.ToArray()))
            .Add("Version", version)
            .Add("Signature", GoShape.Bytes(signature))
            .Add("SignatureAlgorithm", signatureAlgorithm)
            .Add("PublicKeyAlgorithm", publicKeyAlgorithm)
            .Add("PublicKey", publicKey)
            .Add("Subject", X509Asn1.Name(subject))
            .Add("Attributes", attributes.Count == 0 ? RegoNull.Instance : new RegoArray(attributes.ToArray()))
            .Add("Extensions", extensions.Count == 0 ? RegoNull.Instance : new RegoArray(extensions.ToArray()))
            .Add("ExtraExtensions", RegoNull.Instance)
            .Add("DNSNames", GoShape.Strings(san.Dns.Count == 0 ? null : san.Dns))
            .Add("EmailAddresses", GoShape.Strings(san.Emails.Count == 0 ? null : san.Emails))
            .Add("IPAddresses", GoShape.Strings(san.Ips.Count == 0 ? null : san.Ips))
            .Add("URIs", san.Uris.Count == 0 ? RegoNull.Instance : new RegoArray(san.Uris.Select(u => (RegoValue)u.ToGoJson()).ToArray()))
            .Build();
    }
}
