using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>
/// Two trust domains (agents.test and other.test, both trusted, each with its own bundle file), an
/// intermediate under agents.test and a same-named impostor intermediate, plus a running proxy whose one tool
/// forwards to a recording upstream under an allow-all policy.
/// </summary>
public sealed class SvidPkiFixture : IAsyncLifetime
{
    public const string TrustDomain = SidecarTestBed.TrustDomain;
    public const string OtherTrustDomain = "other.test";
    public const string AgentId = SidecarTestBed.AgentId;

    private SidecarTestBed _bed = null!;

    public TestCa Root => _bed.Root;

    public TestCa OtherRoot => _bed.RootOf(OtherTrustDomain);

    public TestCa Intermediate { get; private set; } = null!;

    public TestCa ImpostorIntermediate { get; private set; } = null!;

    internal IdentityDirectory IdentityFiles => _bed.Identity;

    internal TestProxy Proxy => _bed.Proxy;

    public RecordingUpstream Upstream => _bed.Upstream;

    public async Task InitializeAsync()
    {
        _bed = await SidecarTestBed.Create(TrustDomain, OtherTrustDomain).WithTool("echo").WithAllowAllPolicy().StartAsync();
        Intermediate = Root.CreateIntermediate(TrustDomain, "CN=agents intermediate");
        ImpostorIntermediate = TestCa.CreateRoot(TrustDomain, "impostor root")
            .CreateIntermediate(TrustDomain, "CN=agents intermediate");
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        Intermediate.Dispose();
        ImpostorIntermediate.Dispose();
    }
}

/// <summary>A client certificate as presented in the handshake: the leaf and what is sent after it.</summary>
public sealed record PresentedCertificate(X509Certificate2? Leaf, X509Certificate2Collection Chain);
