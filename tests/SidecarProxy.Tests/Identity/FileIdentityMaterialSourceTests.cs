using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Identity;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Identity;

public sealed class FileIdentityMaterialSourceTests : IDisposable
{
    private readonly IdentityDirectory _dir = new();
    private readonly TestCa _ca1 = TestCa.CreateRoot("example.org", "ca one");
    private readonly TestCa _ca2 = TestCa.CreateRoot("example.org", "ca two");

    public void Dispose()
    {
        _dir.Dispose();
        _ca1.Dispose();
        _ca2.Dispose();
    }

    [Fact]
    public void Start_LoadsServerCertificateWithKeyAndBundles()
    {
        _dir.WriteBundle("example.org", _ca1, _ca2);
        using var source = CreateSource();

        source.Start();

        var material = Assert.IsType<IdentityMaterial>(source.Current);
        Assert.True(material.ServerCertificate.HasPrivateKey);
        Assert.Equal(2, material.Bundles["example.org"].Count);
    }

    [Fact]
    public void Start_MissingBundle_ThrowsNamingTheFile()
    {
        using var source = CreateSource();

        var ex = Assert.Throws<IdentityLoadException>(source.Start);
        Assert.Contains(_dir.BundlePath("example.org"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_ChangedBundle_PublishesNewSnapshotAndRaisesChanged()
    {
        _dir.WriteBundle("example.org", _ca1);
        using var source = CreateSource();
        source.Start();
        IdentityMaterial? changed = null;
        source.Changed += m => changed = m;

        _dir.WriteBundle("example.org", _ca2);

        Assert.True(source.Reload());
        Assert.Same(source.Current, changed);
        Assert.Equal(_ca2.Certificate.Thumbprint, Assert.Single(source.Current!.Bundles["example.org"]).Thumbprint);
    }

    [Fact]
    public void Reload_UnchangedFiles_DoesNothing()
    {
        _dir.WriteBundle("example.org", _ca1);
        using var source = CreateSource();
        source.Start();
        var before = source.Current;

        Assert.False(source.Reload());
        Assert.Same(before, source.Current);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIB")]
    [InlineData("")]
    public void Reload_CorruptBundle_KeepsLastGoodAndCountsOnce(string corrupt)
    {
        _dir.WriteBundle("example.org", _ca1);
        using var source = CreateSource();
        source.Start();
        var good = source.Current;
        var reasons = new List<string>();
        source.ReloadFailed += reasons.Add;

        _dir.WriteBundleText("example.org", corrupt);

        Assert.False(source.Reload());
        Assert.False(source.Reload());
        Assert.Same(good, source.Current);
        Assert.Equal(1, source.ReloadFailureCount);
        Assert.Contains(_dir.BundlePath("example.org"), Assert.Single(reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_TruncatedSecondCertificate_IsRejected()
    {
        _dir.WriteBundle("example.org", _ca1);
        using var source = CreateSource();
        source.Start();

        var half = _ca1.BundlePem + _ca2.BundlePem[..(_ca2.BundlePem.Length / 2)];
        _dir.WriteBundleText("example.org", half);

        Assert.False(source.Reload());
        Assert.Equal(1, source.ReloadFailureCount);
        Assert.Single(source.Current!.Bundles["example.org"]);
    }

    [Fact]
    public void Reload_KeyNotMatchingCertificate_IsRejectedAndRecoversWhenFixed()
    {
        _dir.WriteBundle("example.org", _ca1);
        using var source = CreateSource();
        source.Start();
        var good = source.Current;
        using var other = _dir.ServerCa.Issue(new LeafSpec { DnsNames = ["localhost"] });
        var originalKey = File.ReadAllText(_dir.ServerKeyPath);

        File.WriteAllText(_dir.ServerKeyPath, TestCa.KeyToPem(other));
        Assert.False(source.Reload());
        Assert.Same(good, source.Current);

        File.WriteAllText(_dir.ServerKeyPath, originalKey);
        _dir.WriteBundle("example.org", _ca2);
        Assert.True(source.Reload());
        Assert.NotSame(good, source.Current);
    }

    private FileIdentityMaterialSource CreateSource()
    {
        var files = new IdentityFiles(
            _dir.ServerCertificatePath,
            _dir.ServerKeyPath,
            new Dictionary<string, string> { ["example.org"] = _dir.BundlePath("example.org") });

        // Timers an hour out: these tests drive Reload() themselves.
        return new FileIdentityMaterialSource(
            files, TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeProvider.System,
            NullLogger<FileIdentityMaterialSource>.Instance);
    }
}
