using System.Net;
using System.Security.Cryptography.X509Certificates;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Identity;

/// <summary>
/// X.509-SVID authentication over real TLS handshakes, table-driven after go-spiffe's
/// svid/x509svid/verify_test.go: each scenario is rejected with its exact denial code, or accepted.
/// </summary>
public sealed class SvidAuthenticationTests(SvidPkiFixture pki) : IClassFixture<SvidPkiFixture>
{
    private const string Agent = SvidPkiFixture.AgentId;

    private static readonly Dictionary<string, Func<SvidPkiFixture, PresentedCertificate>> Scenarios = new()
    {
        ["NoCertificate"] = _ => new(null, []),
        ["Expired"] = p => Leaf(p.Root, new LeafSpec
        {
            Uris = [Agent],
            NotBefore = DateTimeOffset.UtcNow.AddDays(-3),
            NotAfter = DateTimeOffset.UtcNow.AddDays(-1),
        }),
        ["NotYetValid"] = p => Leaf(p.Root, new LeafSpec
        {
            Uris = [Agent],
            NotBefore = DateTimeOffset.UtcNow.AddDays(1),
            NotAfter = DateTimeOffset.UtcNow.AddDays(2),
        }),
        ["SelfSignedAgent"] = _ => new(TestCa.SelfSigned(new LeafSpec { Uris = [Agent] }), []),
        ["SignedByOtherTrustDomainsCa"] = p => Leaf(p.OtherRoot, new LeafSpec { Uris = [Agent] }),
        ["CaCertificateAsLeaf"] = p => Leaf(p.Root, new LeafSpec
        {
            Uris = [Agent],
            IsCa = true,
            KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign,
        }),
        ["LeafWithKeyCertSign"] = p => Leaf(p.Root, new LeafSpec
        {
            Uris = [Agent],
            KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign,
        }),
        ["LeafWithoutDigitalSignature"] = p => Leaf(p.Root, new LeafSpec
        {
            Uris = [Agent],
            KeyUsage = X509KeyUsageFlags.KeyEncipherment,
        }),
        ["NoUriSan"] = p => Leaf(p.Root, new LeafSpec { DnsNames = ["agent.agents.test"] }),
        ["TwoUriSans"] = p => Leaf(p.Root, new LeafSpec { Uris = [Agent, "spiffe://agents.test/agent/other"] }),
        ["NonSpiffeUri"] = p => Leaf(p.Root, new LeafSpec { Uris = ["https://agents.test/agent/researcher"] }),
        ["UppercaseTrustDomain"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://Agents.test/agent"] }),
        ["PortInTrustDomain"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test:8443/agent"] }),
        ["EmptyPath"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test"] }),
        ["DotDotSegment"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test/agent/../admin"] }),
        ["TrailingSlash"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test/agent/"] }),
        ["Query"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test/agent?admin=1"] }),
        ["Fragment"] = p => Leaf(p.Root, new LeafSpec { Uris = ["spiffe://agents.test/agent#admin"] }),
        ["WrongIntermediate"] = p => new(p.Intermediate.IssueSvid(Agent), [p.ImpostorIntermediate.Certificate]),
        ["MissingIntermediate"] = p => new(p.Intermediate.IssueSvid(Agent), []),
        ["ValidFromRoot"] = p => Leaf(p.Root, new LeafSpec { Uris = [Agent] }),
        ["ValidThroughIntermediate"] = p => new(p.Intermediate.IssueSvid(Agent), p.Intermediate.Chain),
        ["ValidOfFederatedTrustDomain"] = p => Leaf(p.OtherRoot, new LeafSpec { Uris = ["spiffe://other.test/agent/x"] }),
    };

    public static TheoryData<string, string> Rejected => new()
    {
        { "NoCertificate", "svid_missing" },
        { "Expired", "svid_expired" },
        { "NotYetValid", "svid_not_yet_valid" },
        { "SelfSignedAgent", "svid_untrusted" },
        { "SignedByOtherTrustDomainsCa", "svid_untrusted" },
        { "CaCertificateAsLeaf", "svid_invalid" },
        { "LeafWithKeyCertSign", "svid_invalid" },
        { "LeafWithoutDigitalSignature", "svid_invalid" },
        { "NoUriSan", "svid_invalid_spiffe_id" },
        { "TwoUriSans", "svid_invalid_spiffe_id" },
        { "NonSpiffeUri", "svid_invalid_spiffe_id" },
        { "UppercaseTrustDomain", "svid_invalid_spiffe_id" },
        { "PortInTrustDomain", "svid_invalid_spiffe_id" },
        { "EmptyPath", "svid_invalid_spiffe_id" },
        { "DotDotSegment", "svid_invalid_spiffe_id" },
        { "TrailingSlash", "svid_invalid_spiffe_id" },
        { "Query", "svid_invalid_spiffe_id" },
        { "Fragment", "svid_invalid_spiffe_id" },
        { "WrongIntermediate", "svid_untrusted" },
        { "MissingIntermediate", "svid_untrusted" },
    };

    public static TheoryData<string, string> Accepted => new()
    {
        { "ValidFromRoot", Agent },
        { "ValidThroughIntermediate", Agent },
        { "ValidOfFederatedTrustDomain", "spiffe://other.test/agent/x" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Scenario_IsRejectedWith401AndExactCode(string scenario, string code)
    {
        var presented = Scenarios[scenario](pki);
        using var client = pki.Proxy.CreateClient(presented.Leaf, presented.Chain);
        var before = pki.Upstream.Requests.Count;

        using var response = await client.GetAsync(new Uri("/tools/echo/anything", UriKind.Relative));

        var problem = await Problem.ReadAsync(response);
        Assert.Equal(401, problem.Status);
        Assert.Equal(code, problem.Code);
        Assert.Equal(401, problem.Body.GetProperty("status").GetInt32());
        Assert.Equal("urn:sidecarproxy:denial:" + code, problem.Body.GetProperty("type").GetString());
        Assert.Equal(before, pki.Upstream.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Scenario_IsAcceptedAndForwarded(string scenario, string spiffeId)
    {
        var presented = Scenarios[scenario](pki);
        using var client = pki.Proxy.CreateClient(presented.Leaf, presented.Chain);
        var marker = Guid.NewGuid().ToString("N");

        using var response = await client.GetAsync(new Uri($"/tools/echo/{marker}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(pki.Upstream.Requests, r => r.Path == "/" + marker);
        Assert.NotEqual(string.Empty, spiffeId);
    }

    [Fact]
    public async Task RejectedCertificate_NeverReachesHealthOrAnyRoute()
    {
        var presented = Scenarios["SelfSignedAgent"](pki);
        using var client = pki.Proxy.CreateClient(presented.Leaf, presented.Chain);

        using var unknown = await client.GetAsync(new Uri("/nope", UriKind.Relative));
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal("svid_untrusted", (await Problem.ReadAsync(unknown)).Code);
        Assert.Equal("svid_untrusted", (await Problem.ReadAsync(health)).Code);
    }

    [Fact]
    public async Task SeveralRequestsOnOneConnection_AllCarryTheHandshakeIdentity()
    {
        var presented = Scenarios["ValidThroughIntermediate"](pki);
        using var client = pki.Proxy.CreateClient(presented.Leaf, presented.Chain);

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(new Uri($"/tools/echo/repeat{i}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static PresentedCertificate Leaf(TestCa issuer, LeafSpec spec) => new(issuer.Issue(spec), issuer.Chain);
}
