using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity;

/// <summary>
/// Reads the sidecar's SPIFFE ID from the URI SAN of its current serving SVID, so the issuer follows
/// rotation. Returns null when no identity source is registered or nothing is loaded.
/// </summary>
internal sealed class ServerCertificateSidecarIdentity(IIdentityMaterialSource? source = null) : ISidecarIdentity
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    // GeneralName ::= CHOICE { ..., uniformResourceIdentifier [6] IA5String, ... }
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public string? SpiffeId => source?.Current?.ServerCertificate is { } certificate ? FirstSpiffeUri(certificate) : null;

    internal static string? FirstSpiffeUri(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAlternativeNameOid)
            {
                continue;
            }

            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag.HasSameClassAndValue(UriTag))
                    {
                        var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                        if (uri.StartsWith("spiffe://", StringComparison.Ordinal))
                        {
                            return uri;
                        }
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
            catch (CryptographicException)
            {
                return null;
            }
        }

        return null;
    }
}
