using System.Formats.Asn1;
using System.Security.Cryptography;
using SidecarProxy.Identity;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Identity;

public sealed class UriSanReaderTests
{
    [Fact]
    public void UrisAmongOtherNames_AreReturnedInOrderAndOthersSkipped()
    {
        using var root = TestCa.CreateRoot("example.org");
        using var leaf = root.Issue(new LeafSpec
        {
            Uris = ["spiffe://example.org/a", "https://example.org/b"],
            DnsNames = ["a.example.org"],
        });

        Assert.Equal(["spiffe://example.org/a", "https://example.org/b"], UriSanReader.Read(leaf));
    }

    [Fact]
    public void NoSanExtension_IsEmpty()
    {
        using var root = TestCa.CreateRoot("example.org");
        using var leaf = root.Issue(new LeafSpec());

        Assert.Empty(UriSanReader.Read(leaf));
    }

    [Fact]
    public void UriTextIsReturnedExactlyAsEncoded()
    {
        using var root = TestCa.CreateRoot("example.org");
        using var leaf = root.Issue(new LeafSpec { Uris = ["spiffe://Example.org/a/../b"] });

        Assert.Equal(["spiffe://Example.org/a/../b"], UriSanReader.Read(leaf));
    }

    [Fact]
    public void MalformedExtension_ThrowsCryptographicException()
    {
        Assert.Throws<CryptographicException>(() => UriSanReader.Decode([0x30, 0x05, 0x86, 0x10, 0x41]));

        var trailing = new AsnWriter(AsnEncodingRules.DER);
        using (trailing.PushSequence())
        {
        }

        var bytes = trailing.Encode().Concat(new byte[] { 0x00 }).ToArray();
        Assert.Throws<CryptographicException>(() => UriSanReader.Decode(bytes));
    }
}
