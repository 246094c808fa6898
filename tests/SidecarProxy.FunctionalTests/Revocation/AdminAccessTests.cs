using System.Net;
using System.Text.Json;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Credentials;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>One sidecar with an admin listener for <see cref="AdminAccessTests"/>; each test leaves no record behind.</summary>
public sealed class AdminBedFixture : IAsyncLifetime
{
    internal AdminBed Bed { get; private set; } = null!;

    public async Task InitializeAsync() => Bed = await AdminBed.StartAsync();

    public async Task DisposeAsync() => await Bed.DisposeAsync();
}

/// <summary>Who may use the admin API, where it answers, and what it refuses.</summary>
public sealed class AdminAccessTests(AdminBedFixture fixture) : IClassFixture<AdminBedFixture>
{
    private readonly AdminBed _bed = fixture.Bed;

    [Fact]
    public async Task NoClientCertificate_Is401SvidMissing()
    {
        using var anonymous = _bed.CreateAdminClient(null);

        var problem = await Problem.ReadAsync(await anonymous.GetAsync(new Uri("/admin/revocations", UriKind.Relative)));

        Assert.Equal((401, "svid_missing"), (problem.Status, problem.Code));
    }

    [Fact]
    public async Task SvidFromAnUntrustedCa_Is401SvidUntrusted_EvenWithAnAdminId()
    {
        using var stranger = TestSupport.TestCa.CreateRoot("agents.test");
        using var forged = TestProxy.CreateAgentClient(
            _bed.AdminUrl, stranger.IssueSvid(_bed.AdminId), null, _bed.Bed.Identity.ServerCa.Certificate, out _);

        var problem = await Problem.ReadAsync(await AdminBed.PostRevocationAsync(forged, Body("spiffe_id", CredentialBed.AgentId)));

        Assert.Equal((401, "svid_untrusted"), (problem.Status, problem.Code));
        Assert.DoesNotContain(await _bed.ListAsync(), r => r.GetProperty("subject").GetProperty("value").GetString() == CredentialBed.AgentId);
    }

    [Fact]
    public async Task AgentIdentity_Is403AdminForbidden_AndNothingIsStored()
    {
        using var agent = _bed.CreateAdminClient(CredentialBed.AgentId);

        var post = await Problem.ReadAsync(await AdminBed.PostRevocationAsync(agent, Body("spiffe_id", CredentialBed.OtherAgentId)));
        var list = await Problem.ReadAsync(await agent.GetAsync(new Uri("/admin/revocations", UriKind.Relative)));

        Assert.Equal((403, "admin_forbidden"), (post.Status, post.Code));
        Assert.Equal((403, "admin_forbidden"), (list.Status, list.Code));
        Assert.Empty(await _bed.ListAsync());
    }

    [Fact]
    public async Task ReadRole_MayListButNotRevokeOrLift()
    {
        var record = await _bed.CreateAsync("spiffe_id", "spiffe://agents.test/agent/r");
        using var auditor = _bed.CreateAdminClient(_bed.AuditorId);

        using var list = await auditor.GetAsync(new Uri("/admin/revocations", UriKind.Relative));
        var post = await Problem.ReadAsync(await AdminBed.PostRevocationAsync(auditor, Body("spiffe_id", CredentialBed.AgentId)));
        var lift = await Problem.ReadAsync(await auditor.DeleteAsync(new Uri("/admin/revocations/" + record.GetProperty("id").GetString(), UriKind.Relative)));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("admin_forbidden", post.Code);
        Assert.Equal("admin_forbidden", lift.Code);
        Assert.Single(await _bed.ListAsync());
        await _bed.LiftAsync(record.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task AdminPath_OnTheAgentListener_IsNotServed()
    {
        using var admin = _bed.Bed.Proxy.CreateClient(_bed.Bed.Root.IssueSvid(_bed.AdminId));

        var post = await Problem.ReadAsync(await AdminBed.PostRevocationAsync(admin, Body("spiffe_id", CredentialBed.AgentId)));
        var list = await Problem.ReadAsync(await admin.GetAsync(new Uri("/admin/revocations", UriKind.Relative)));

        Assert.Equal((404, "unknown_tool"), (post.Status, post.Code));
        Assert.Equal((404, "unknown_tool"), (list.Status, list.Code));
        Assert.Empty(await _bed.ListAsync());
    }

    [Fact]
    public async Task ToolPath_OnTheAdminListener_IsNotProxied()
    {
        var marker = CredentialBed.Marker();
        using var admin = _bed.Admin();

        using var response = await admin.GetAsync(new Uri("/tools/plain/" + marker, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(_bed.Bed.UpstreamRequestsFor(marker));
    }

    [Fact]
    public async Task LiftUnknownId_Is404()
    {
        using var admin = _bed.Admin();

        var problem = await Problem.ReadAsync(await admin.DeleteAsync(new Uri("/admin/revocations/rev_nope", UriKind.Relative)));

        Assert.Equal((404, "not_found"), (problem.Status, problem.Code));
    }

    [Theory]
    [InlineData("""{"subject": {"kind": "user", "value": "x"}, "action": "revoke", "reason": "r"}""", "subject.kind")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a//b"}, "action": "revoke", "reason": "r"}""", "not a valid SPIFFE ID")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "http://agents.test/a"}, "action": "revoke", "reason": "r"}""", "not a valid SPIFFE ID")]
    [InlineData("""{"subject": {"kind": "spiffe_id_prefix", "value": "spiffe://Agents.test/"}, "action": "revoke", "reason": "r"}""", "prefix")]
    [InlineData("""{"subject": {"kind": "trust_domain", "value": "agents.test/x"}, "action": "revoke", "reason": "r"}""", "trust domain")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "revoke"}""", "reason is required")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "revoke", "reason": "  "}""", "reason is required")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "delete", "reason": "r"}""", "action must be")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "revoke", "reason": "r", "expires_at": "tomorrow"}""", "RFC 3339")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "revoke", "reason": "r", "expires_at": "2030-01-01T00:00:00"}""", "RFC 3339")]
    [InlineData("""{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/a"}, "action": "revoke", "reason": "r", "expires_at": "2001-01-01T00:00:00Z"}""", "in the future")]
    [InlineData("""{"action": "revoke", "reason": "r"}""", "subject is required")]
    [InlineData("""[1, 2]""", "JSON object")]
    [InlineData("""{not json""", "not valid JSON")]
    public async Task BadInput_Is400AndStoresNothing(string body, string expected)
    {
        using var admin = _bed.Admin();

        var problem = await Problem.ReadAsync(await AdminBed.PostRevocationAsync(admin, body));

        Assert.Equal((400, "invalid_request"), (problem.Status, problem.Code));
        Assert.Contains(expected, problem.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await _bed.ListAsync());
    }

    [Fact]
    public async Task ExpiresAt_IsStoredAndListed()
    {
        using var admin = _bed.Admin();
        using var response = await AdminBed.PostRevocationAsync(admin,
            """{"subject": {"kind": "spiffe_id", "value": "spiffe://agents.test/agent/e"}, "action": "quarantine", "reason": "r", "expires_at": "2099-01-01T01:00:00+01:00"}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var listed = Assert.Single(await _bed.ListAsync());
        Assert.Equal("2099-01-01T00:00:00Z", listed.GetProperty("expires_at").GetString());
        Assert.True(listed.GetProperty("active").GetBoolean());
        await _bed.LiftAsync(listed.GetProperty("id").GetString()!);
    }

    private static string Body(string kind, string value) =>
        JsonSerializer.Serialize(new { subject = new { kind, value }, action = "revoke", reason = "test" });
}
