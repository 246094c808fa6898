using System.Security.Cryptography.X509Certificates;
using SidecarProxy.FunctionalTests.Common;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>
/// Two trust domains (agents.test and other.test, both trusted, each with its own bundle file), an
/// intermediate under agents.test and a same-named impostor intermediate, plus a running proxy whose one tool
/// forwards to a recording upstream under an allow-all policy.
/// </summary>
public sealed class SvidPkiFixture : IAsyncLifetime
{
    public const string TrustDomain = "agents.test";
    public const string OtherTrustDomain = "other.test";
    public const string AgentId = "spiffe://agents.test/agent/researcher";

    public TestCa Root { get; } = TestCa.CreateRoot(TrustDomain);

    public TestCa OtherRoot { get; } = TestCa.CreateRoot(OtherTrustDomain);

    public TestCa Intermediate { get; private set; } = null!;

    public TestCa ImpostorIntermediate { get; private set; } = null!;

    internal IdentityDirectory IdentityFiles { get; } = new();

    internal TestProxy Proxy { get; private set; } = null!;

    public RecordingUpstream Upstream { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Intermediate = Root.CreateIntermediate(TrustDomain, "CN=agents intermediate");
        ImpostorIntermediate = TestCa.CreateRoot(TrustDomain, "impostor root")
            .CreateIntermediate(TrustDomain, "CN=agents intermediate");
        IdentityFiles.WriteBundle(TrustDomain, Root);
        IdentityFiles.WriteBundle(OtherTrustDomain, OtherRoot);
        Upstream = await RecordingUpstream.StartAsync();
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in IdentityFiles.Configuration(TrustDomain, OtherTrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "echo", Upstream.Url);
        var pdp = TestPolicyDecisionPoint.AllowAll();
        Proxy = await TestProxy.StartAsync(IdentityFiles, settings, s => s.AddSingletonPdp(pdp));
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        IdentityFiles.Dispose();
        Root.Dispose();
        OtherRoot.Dispose();
        Intermediate.Dispose();
        ImpostorIntermediate.Dispose();
    }
}

/// <summary>A client certificate as presented in the handshake: the leaf and what is sent after it.</summary>
public sealed record PresentedCertificate(X509Certificate2? Leaf, X509Certificate2Collection Chain);
