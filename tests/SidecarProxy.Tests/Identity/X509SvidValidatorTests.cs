using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Denials;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Identity;

public sealed class X509SvidValidatorTests : IDisposable
{
    private readonly TestCa _root = TestCa.CreateRoot("example.org");
    private readonly TestCa _otherRoot = TestCa.CreateRoot("other.org");
    private readonly Dictionary<string, X509Certificate2Collection> _bundles;

    public X509SvidValidatorTests()
    {
        _bundles = new(StringComparer.Ordinal)
        {
            ["example.org"] = [_root.Certificate],
            ["other.org"] = [_otherRoot.Certificate],
        };
    }

    public void Dispose()
    {
        _root.Dispose();
        _otherRoot.Dispose();
    }

    [Fact]
    public void ValidSvid_YieldsIdentityAndSha256Fingerprint()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var result = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("spiffe://example.org/agent/a", result.Identity!.SpiffeId.ToString());
        Assert.Matches("^sha256:[0-9a-f]{64}$", result.Identity.CertificateFingerprint);
        Assert.Equal(leaf.NotAfter.ToUniversalTime(), result.Identity.NotAfter.UtcDateTime);
    }

    [Fact]
    public void ClockAfterNotAfter_IsSvidExpired()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var result = Validator(leaf.NotAfter.AddSeconds(1)).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidExpired, result.Failure);
    }

    [Fact]
    public void ClockBeforeNotBefore_IsSvidNotYetValid()
    {
        using var leaf = _root.IssueSvid("spiffe://example.org/agent/a");
        var result = Validator(leaf.NotBefore.AddSeconds(-1)).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidNotYetValid, result.Failure);
    }

    [Fact]
    public void LeafOfOtherTrustDomainsCa_IsUntrustedEvenThoughThatCaIsLoaded()
    {
        using var leaf = _otherRoot.IssueSvid("spiffe://example.org/agent/a");
        var result = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidUntrusted, result.Failure);
    }

    [Fact]
    public void TrustDomainWithoutBundle_IsUntrusted()
    {
        using var leaf = _root.IssueSvid("spiffe://unknown.org/agent/a");
        var result = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidUntrusted, result.Failure);
        Assert.Contains("unknown.org", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NoKeyUsageExtension_IsSvidInvalid()
    {
        using var leaf = _root.Issue(new LeafSpec { Uris = ["spiffe://example.org/a"], KeyUsage = null });
        var result = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidInvalid, result.Failure);
        Assert.Contains("digitalSignature", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CrlSignKeyUsage_IsSvidInvalid()
    {
        using var leaf = _root.Issue(new LeafSpec
        {
            Uris = ["spiffe://example.org/a"],
            KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign,
        });
        var result = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.Same(DenialCode.SvidInvalid, result.Failure);
        Assert.Contains("cRLSign", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void IntermediateFromPresentedChain_IsUsedAndLeafInChainIsIgnored()
    {
        using var intermediate = _root.CreateIntermediate("example.org");
        using var leaf = intermediate.IssueSvid("spiffe://example.org/agent/b");
        var presented = new X509Certificate2Collection { leaf, intermediate.Certificate };

        var withChain = Validator(DateTimeOffset.UtcNow).Validate(leaf, presented, _bundles);
        var withoutChain = Validator(DateTimeOffset.UtcNow).Validate(leaf, null, _bundles);

        Assert.True(withChain.Succeeded, withChain.Detail);
        Assert.Same(DenialCode.SvidUntrusted, withoutChain.Failure);
    }

    [Fact]
    public void NoCertificate_IsSvidMissing()
    {
        var result = Validator(DateTimeOffset.UtcNow).Validate(null, null, _bundles);

        Assert.Same(DenialCode.SvidMissing, result.Failure);
    }

    private static X509SvidValidator Validator(DateTimeOffset now) => new(new ManualTimeProvider(now));
}
