using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Identity.WorkloadApi.Protocol;
using SidecarProxy.Spiffe;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

public sealed class X509SvidResponseConverterTests
{
    private const string SidecarId = "spiffe://example.org/sidecar";

    [Fact]
    public void AgentMessage_BecomesSnapshotWithKeyChainAndBundles()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var intermediate = root.CreateIntermediate();
        using var partner = TestCertificateAuthority.CreateRoot("partner.example", "Partner CA");
        using var svid = intermediate.IssueSvid(SidecarId);
        var response = WorkloadApiMessages.Response(svid, root, new Dictionary<string, TestCertificateAuthority>
        {
            ["spiffe://partner.example"] = partner,
        });

        var error = X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var snapshot);

        Assert.Equal(SvidUpdateError.None, error);
        Assert.NotNull(snapshot);
        Assert.Equal(SidecarId, snapshot.SpiffeId);
        var material = snapshot.Material;
        Assert.True(material.ServerCertificate.HasPrivateKey);
        Assert.Equal(svid.Leaf.RawData, material.ServerCertificate.RawData);
        Assert.Equal(intermediate.Certificate.RawData, Assert.Single(material.ServerChain).RawData);
        Assert.Equal(["example.org", "partner.example"], material.Bundles.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(root.Certificate.RawData, Assert.Single(material.Bundles["example.org"]).RawData);
        Assert.Equal(partner.Certificate.RawData, Assert.Single(material.Bundles["partner.example"]).RawData);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(svid.Leaf.RawData)), snapshot.Fingerprint);
    }

    [Fact]
    public void AttachedKey_SignsLikeTheSvidKey()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var svid = root.IssueSvid(SidecarId);

        X509SvidResponseConverter.TryConvert(WorkloadApiMessages.Response(svid, root), DateTimeOffset.UtcNow, out var snapshot);

        using var privateKey = snapshot!.Material.ServerCertificate.GetECDsaPrivateKey()!;
        var signature = privateKey.SignData("challenge"u8, HashAlgorithmName.SHA256);
        Assert.True(svid.Key.VerifyData("challenge"u8, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void BundleWithSeveralCertificates_KeepsThemAll()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org", "Current CA");
        using var next = TestCertificateAuthority.CreateRoot("example.org", "Next CA");
        using var svid = root.IssueSvid(SidecarId);
        var response = WorkloadApiMessages.Response(svid, root);
        response.Svids[0].Bundle = ByteString.CopyFrom([.. root.BundleDer(), .. next.BundleDer()]);

        X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var snapshot);

        Assert.Equal(2, snapshot!.Material.Bundles["example.org"].Count);
    }

    [Fact]
    public void FederatedCopyOfOwnTrustDomain_DoesNotOverrideTheSvidBundle()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var impostor = TestCertificateAuthority.CreateRoot("example.org", "Impostor CA");
        using var svid = root.IssueSvid(SidecarId);
        var response = WorkloadApiMessages.Response(svid, root, new Dictionary<string, TestCertificateAuthority>
        {
            ["spiffe://example.org"] = impostor,
        });

        X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var snapshot);

        Assert.Equal(root.Certificate.RawData, Assert.Single(snapshot!.Material.Bundles["example.org"]).RawData);
    }

    [Fact]
    public void BareTrustDomainKey_IsAcceptedLikeGoSpiffe()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var partner = TestCertificateAuthority.CreateRoot("partner.example");
        using var svid = root.IssueSvid(SidecarId);
        var response = WorkloadApiMessages.Response(svid, root, new Dictionary<string, TestCertificateAuthority>
        {
            ["partner.example"] = partner,
        });

        Assert.Equal(SvidUpdateError.None, X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var snapshot));
        Assert.Contains("partner.example", snapshot!.Material.Bundles.Keys);
    }

    [Fact]
    public void SameContentTwice_HasTheSameRevision()
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var svid = root.IssueSvid(SidecarId);
        var response = WorkloadApiMessages.Response(svid, root);

        X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var first);
        X509SvidResponseConverter.TryConvert(response, DateTimeOffset.UtcNow, out var second);
        using var other = root.IssueSvid(SidecarId);
        X509SvidResponseConverter.TryConvert(WorkloadApiMessages.Response(other, root), DateTimeOffset.UtcNow, out var third);

        Assert.Equal(first!.Revision, second!.Revision);
        Assert.NotEqual(first.Revision, third!.Revision);
    }

    // Expected reasons by name: the enum is internal and xunit theory parameters must be public.
    public static TheoryData<string, string> BadMessages => new()
    {
        { "no svids", nameof(SvidUpdateError.NoSvids) },
        { "spiffe id without path", nameof(SvidUpdateError.InvalidSpiffeId) },
        { "spiffe id with uppercase trust domain", nameof(SvidUpdateError.InvalidSpiffeId) },
        { "spiffe id with dot segment", nameof(SvidUpdateError.InvalidSpiffeId) },
        { "not a spiffe id", nameof(SvidUpdateError.InvalidSpiffeId) },
        { "garbage certificate", nameof(SvidUpdateError.MalformedCertificate) },
        { "empty certificate", nameof(SvidUpdateError.MalformedCertificate) },
        { "truncated certificate", nameof(SvidUpdateError.MalformedCertificate) },
        { "spiffe id differs from uri san", nameof(SvidUpdateError.SpiffeIdMismatch) },
        { "leaf is a ca", nameof(SvidUpdateError.LeafIsCa) },
        { "garbage key", nameof(SvidUpdateError.MalformedKey) },
        { "rsa key for ec certificate", nameof(SvidUpdateError.MalformedKey) },
        { "key of another svid", nameof(SvidUpdateError.KeyMismatch) },
        { "garbage bundle", nameof(SvidUpdateError.MalformedBundle) },
        { "empty bundle", nameof(SvidUpdateError.EmptyBundle) },
        { "empty federated bundle", nameof(SvidUpdateError.EmptyBundle) },
        { "uppercase federated trust domain", nameof(SvidUpdateError.InvalidFederatedTrustDomain) },
        { "federated key with path", nameof(SvidUpdateError.InvalidFederatedTrustDomain) },
        { "expired svid", nameof(SvidUpdateError.Expired) },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void BadMessage_IsRefusedWithItsReason(string scenario, string expected)
    {
        using var root = TestCertificateAuthority.CreateRoot("example.org");
        using var partner = TestCertificateAuthority.CreateRoot("partner.example");
        var now = DateTimeOffset.UtcNow;
        using var svid = scenario switch
        {
            "spiffe id differs from uri san" => root.IssueSvid(SidecarId, sanUri: "spiffe://example.org/someone-else"),
            "leaf is a ca" => root.IssueSvid(SidecarId, isCa: true),
            "expired svid" => root.IssueSvid(SidecarId, now.AddHours(-2), now.AddHours(-1)),
            _ => root.IssueSvid(SidecarId),
        };
        using var other = root.IssueSvid(SidecarId);
        using var rsa = RSA.Create(2048);
        var response = WorkloadApiMessages.Response(svid, root);
        var entry = response.Svids[0];
        switch (scenario)
        {
            case "no svids": response.Svids.Clear(); break;
            case "spiffe id without path": entry.SpiffeId = "spiffe://example.org"; break;
            case "spiffe id with uppercase trust domain": entry.SpiffeId = "spiffe://Example.org/sidecar"; break;
            case "spiffe id with dot segment": entry.SpiffeId = "spiffe://example.org/a/../sidecar"; break;
            case "not a spiffe id": entry.SpiffeId = "https://example.org/sidecar"; break;
            case "garbage certificate": entry.X509Svid = ByteString.CopyFrom(0x30, 0x03, 0x01, 0x02, 0x03); break;
            case "empty certificate": entry.X509Svid = ByteString.Empty; break;
            case "truncated certificate": entry.X509Svid = ByteString.CopyFrom(svid.Leaf.RawData.AsSpan(0, 40)); break;
            case "garbage key": entry.X509SvidKey = ByteString.CopyFrom(1, 2, 3, 4); break;
            case "rsa key for ec certificate": entry.X509SvidKey = ByteString.CopyFrom(rsa.ExportPkcs8PrivateKey()); break;
            case "key of another svid": entry.X509SvidKey = ByteString.CopyFrom(other.KeyPkcs8()); break;
            case "garbage bundle": entry.Bundle = ByteString.CopyFrom(0x04, 0x01, 0x00); break;
            case "empty bundle": entry.Bundle = ByteString.Empty; break;
            case "empty federated bundle": response.FederatedBundles["spiffe://partner.example"] = ByteString.Empty; break;
            case "uppercase federated trust domain":
                response.FederatedBundles["spiffe://Partner.example"] = ByteString.CopyFrom(partner.BundleDer());
                break;
            case "federated key with path":
                response.FederatedBundles["spiffe://partner.example/workload"] = ByteString.CopyFrom(partner.BundleDer());
                break;
        }

        var error = X509SvidResponseConverter.TryConvert(response, now, out var snapshot);

        Assert.Equal(expected, error.ToString());
        Assert.Null(snapshot);
    }
}
