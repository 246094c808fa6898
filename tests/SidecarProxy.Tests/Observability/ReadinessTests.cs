using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Health;
using SidecarProxy.Identity;
using SidecarProxy.Policy;
using SidecarProxy.Rego.Values;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Observability;

/// <summary>/readyz must stay false until identity (and policy, see the policy tests) are loaded.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task IdentityCheck_NoMaterialYet_NotReady()
    {
        var check = new IdentityReadinessCheck(new EmptySource(), TimeProvider.System);

        var result = await check.CheckAsync(CancellationToken.None);

        Assert.False(result.Ready);
    }

    [Fact]
    public async Task IdentityCheck_ServingCertificateExpires_NotReadyAfterwards()
    {
        using var root = TestCa.CreateRoot("sidecar.test");
        using var serving = root.IssueSvid("spiffe://sidecar.test/sidecar");
        var material = new IdentityMaterial(serving, [], new Dictionary<string, X509Certificate2Collection> { ["sidecar.test"] = [root.Certificate] });
        var clock = new ManualTimeProvider(new DateTimeOffset(serving.NotAfter.ToUniversalTime()).AddMinutes(-1));
        var check = new IdentityReadinessCheck(new FixedSource(material), clock);

        Assert.True((await check.CheckAsync(CancellationToken.None)).Ready);

        clock.Now = new DateTimeOffset(serving.NotAfter.ToUniversalTime()).AddMinutes(1);
        var expired = await check.CheckAsync(CancellationToken.None);
        Assert.False(expired.Ready);
        Assert.Equal("serving certificate expired", expired.Detail);
    }

    private sealed class FixedSource(IdentityMaterial material) : IIdentityMaterialSource
    {
        public IdentityMaterial? Current => material;

        public event Action<IdentityMaterial>? Changed
        {
            add { }
            remove { }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PolicyCheck_FollowsTheEngine(bool loaded)
    {
        var services = new ServiceCollection().AddSingleton<IPolicyEngine>(new StubEngine(loaded)).BuildServiceProvider();
        var check = new PolicyReadinessCheck(services, new PolicyOptions());

        var result = await check.CheckAsync(CancellationToken.None);

        Assert.Equal(loaded, result.Ready);
    }

    private sealed class StubEngine(bool ready) : IPolicyEngine
    {
        public string Name => "embedded";

        public string Revision => "r1";

        public bool IsReady => ready;

        public ValueTask<PolicyEngineResult> EvaluateAsync(RegoValue input, CancellationToken cancellationToken) =>
            throw new PolicyEngineException("not used");
    }

    private sealed class EmptySource : IIdentityMaterialSource
    {
        public IdentityMaterial? Current => null;

        public event Action<IdentityMaterial>? Changed
        {
            add { }
            remove { }
        }
    }
}
