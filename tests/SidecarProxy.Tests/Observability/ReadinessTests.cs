using SidecarProxy.Health;
using SidecarProxy.Identity;

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
