using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// Reads the URI entries of a certificate's subjectAltName with System.Formats.Asn1, because the framework's
/// SAN helper does not list URIs.
/// </summary>
internal static class CertificateUriSans
{
    private const string SubjectAltNameOid = "2.5.29.17";

    // GeneralName ::= CHOICE { ... uniformResourceIdentifier [6] IA5String ... } (RFC 5280 4.2.1.6)
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The URI SANs, or null when the extension cannot be decoded.</summary>
    public static IReadOnlyList<string>? Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                reader.ThrowIfNotEmpty();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag.HasSameClassAndValue(UriTag))
                    {
                        uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                return null;
            }
        }

        return uris;
    }
}
