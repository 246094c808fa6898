using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SidecarProxy.Identity;

/// <summary>
/// Reads the uniformResourceIdentifier entries of a certificate's subjectAltName extension. The framework's
/// <see cref="X509SubjectAlternativeNameExtension"/> lists DNS names and IP addresses only, so the
/// GeneralNames SEQUENCE (RFC 5280 4.2.1.6) is decoded here with <see cref="AsnReader"/>.
/// </summary>
internal static class UriSanReader
{
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>
    /// Returns the URI SANs in certificate order. Throws <see cref="CryptographicException"/> when the
    /// extension is malformed or appears more than once (both make the certificate unusable as an SVID).
    /// </summary>
    public static IReadOnlyList<string> Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        X509Extension? san = null;
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            if (san is not null)
            {
                throw new CryptographicException("certificate has more than one subjectAltName extension");
            }

            san = extension;
        }

        return san is null ? [] : Decode(san.RawData);
    }

    internal static List<string> Decode(byte[] encoded)
    {
        var uris = new List<string>(1);
        try
        {
            var reader = new AsnReader(encoded, AsnEncodingRules.DER);
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
        catch (AsnContentException ex)
        {
            throw new CryptographicException("malformed subjectAltName extension", ex);
        }

        return uris;
    }
}
