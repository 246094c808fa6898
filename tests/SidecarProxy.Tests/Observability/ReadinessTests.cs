using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Health;
using SidecarProxy.Identity;
using SidecarProxy.Policy;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Tests.Observability;

/// <summary>/readyz must stay false until identity (and policy, see the policy tests) are loaded.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task IdentityCheck_NoMaterialYet_NotReady()
    {
        var check = new IdentityReadinessCheck(new EmptySource());

        var result = await check.CheckAsync(CancellationToken.None);

        Assert.False(result.Ready);
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
