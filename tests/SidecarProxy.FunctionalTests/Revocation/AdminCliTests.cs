using System.Net;
using System.Net.Sockets;
using SidecarProxy.Admin.Cli;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary><c>SidecarProxy admin ...</c> against a real admin listener: output and exit codes.</summary>
public sealed class AdminCliTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-admin-cli-").FullName;
    private AdminBed _bed = null!;

    public async Task InitializeAsync()
    {
        _bed = await AdminBed.StartAsync();
        WritePair("admin", _bed.AdminId);
        WritePair("agent", CredentialBed.AgentId);
        File.WriteAllText(Path.Combine(_directory, "ca.pem"), TestCa.ToPem(_bed.Bed.Identity.ServerCa.Certificate));
        using var stranger = TestCa.CreateRoot("stranger.test");
        File.WriteAllText(Path.Combine(_directory, "wrong-ca.pem"), TestCa.ToPem(stranger.Certificate));
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task RevokeListLift_ExitZero_AndTheRevocationIsEnforced()
    {
        const string victim = "spiffe://agents.test/agent/cli-victim";

        var revoke = await RunAsync("revoke", "--spiffe-id", victim, "--reason", "playbook step 2");
        var list = await RunAsync("list");
        var listJson = await RunAsync("list", "--json");
        using var agent = _bed.Bed.CreateAgentClient(victim);
        var refused = (int)(await agent.GetAsync(new Uri("/tools/plain/x", UriKind.Relative))).StatusCode;
        var id = (await _bed.ListAsync()).Single().GetProperty("id").GetString()!;
        var lift = await RunAsync("lift", id, "--reason", "false alarm");
        using var agentAfter = _bed.Bed.CreateAgentClient(victim);

        Assert.Equal(0, revoke.Code);
        Assert.Contains("revoke of spiffe_id " + victim, revoke.Output, StringComparison.Ordinal);
        Assert.Equal(0, list.Code);
        Assert.Contains("ID", list.Output, StringComparison.Ordinal);
        Assert.Contains(id, list.Output, StringComparison.Ordinal);
        Assert.Contains("playbook step 2", list.Output, StringComparison.Ordinal);
        Assert.Contains("\"revocations\"", listJson.Output, StringComparison.Ordinal);
        Assert.Equal(403, refused);
        Assert.Equal(0, lift.Code);
        var lifted = Assert.Single(await _bed.Bed.AuditLinesAsync(3), l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_lifted");
        Assert.Equal(("false alarm", _bed.AdminId), (lifted.GetProperty("reason").GetString(), lifted.GetProperty("spiffe_id").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await agentAfter.GetAsync(new Uri("/tools/plain/x", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Quarantine_WithPrefixAndExpiry_ExitZero()
    {
        var result = await RunAsync("quarantine", "--prefix", "spiffe://agents.test/agent/team-q/", "--reason", "r", "--expires-at", "2099-01-01T00:00:00Z");

        Assert.Equal(0, result.Code);
        var record = Assert.Single(await _bed.ListAsync());
        Assert.Equal("quarantine", record.GetProperty("action").GetString());
        await _bed.LiftAsync(record.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task RefusedByServer_ExitOne_WithTheProblemDetail()
    {
        var unknown = await RunAsync("lift", "rev_unknown");
        var badInput = await RunAsync("revoke", "--spiffe-id", "spiffe://agents.test/a//b", "--reason", "r");
        var forbidden = await RunAsync("list", "agent");

        Assert.Equal(1, unknown.Code);
        Assert.Contains("not_found", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(1, badInput.Code);
        Assert.Contains("not a valid SPIFFE ID", badInput.Error, StringComparison.Ordinal);
        Assert.Equal(1, forbidden.Code);
        Assert.Contains("admin_forbidden", forbidden.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drill_OnOneSidecarWithoutFleet_PassesAndLeavesNothing()
    {
        string[] args =
        [
            "drill", "--sidecar", _bed.AdminUrl.ToString(), "--canary", "spiffe://agents.test/drill/canary",
            "--cert", Path.Combine(_directory, "admin.pem"), "--key", Path.Combine(_directory, "admin-key.pem"), "--ca", Path.Combine(_directory, "ca.pem"),
        ];
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await AdminCommand.RunAsync(args, output, error);

        Assert.True(code == 0, output + error.ToString());
        Assert.Contains("drill passed", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(await _bed.ListAsync());
        var audit = await _bed.Bed.AuditLinesAsync(2);
        Assert.Contains(audit, l => l.TryGetProperty("admin", out var a) && a.GetProperty("event").GetString() == "revocation_created");
    }

    [Fact]
    public async Task DrillUsageErrors_ExitTwo()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var noCanary = await AdminCommand.RunAsync(["drill", "--sidecar", "https://127.0.0.1:1", "--cert", "c", "--key", "k", "--ca", "a"], output, error);
        var badCanary = await AdminCommand.RunAsync(["drill", "--sidecar", "https://127.0.0.1:1", "--canary", "spiffe://td", "--cert", "c", "--key", "k", "--ca", "a"], output, error);
        var noSidecar = await AdminCommand.RunAsync(["drill", "--canary", "spiffe://td/x", "--cert", "c", "--key", "k", "--ca", "a"], output, error);

        Assert.Equal((2, 2, 2), (noCanary, badCanary, noSidecar));
        Assert.Contains("usage: SidecarProxy admin drill", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckEndpoint_SaysWhetherThisSidecarRefuses()
    {
        const string victim = "spiffe://agents.test/agent/check-victim";
        using var admin = _bed.Admin();
        using var auditor = _bed.CreateAdminClient(_bed.AuditorId);
        var path = new Uri("/admin/revocations/check?spiffe_id=" + Uri.EscapeDataString(victim), UriKind.Relative);

        var before = System.Text.Json.JsonDocument.Parse(await auditor.GetStringAsync(path)).RootElement;
        var record = await _bed.CreateAsync("spiffe_id", victim);
        var after = System.Text.Json.JsonDocument.Parse(await auditor.GetStringAsync(path)).RootElement;
        using var bad = await admin.GetAsync(new Uri("/admin/revocations/check?spiffe_id=nope", UriKind.Relative));
        using var agent = _bed.CreateAdminClient(CredentialBed.AgentId);
        using var forbidden = await agent.GetAsync(path);
        await _bed.LiftAsync(record.GetProperty("id").GetString()!);

        Assert.False(before.GetProperty("refused").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, before.GetProperty("fleet").ValueKind);
        Assert.True(after.GetProperty("refused").GetBoolean());
        Assert.Equal("revoked", after.GetProperty("code").GetString());
        Assert.Equal(record.GetProperty("id").GetString(), after.GetProperty("record_id").GetString());
        Assert.Equal(0, after.GetProperty("cached_credentials").GetInt32());
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal(403, (int)forbidden.StatusCode);
    }

    [Theory]
    [InlineData("revoke", "--reason", "r")]
    [InlineData("revoke", "--spiffe-id", "spiffe://agents.test/a")]
    [InlineData("revoke", "--spiffe-id", "spiffe://agents.test/a", "--task", "t", "--reason", "r")]
    [InlineData("explode")]
    [InlineData("lift")]
    [InlineData("list", "--bogus", "x")]
    public async Task UsageError_ExitTwo(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.Code);
        Assert.Contains("usage:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_ExitThree()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var closed = await RunWithAsync(new Uri($"https://127.0.0.1:{port}"), "ca.pem", "admin", "list");
        var untrusted = await RunWithAsync(_bed.AdminUrl, "wrong-ca.pem", "admin", "list");

        Assert.Equal(3, closed.Code);
        Assert.Equal(3, untrusted.Code);
    }

    private void WritePair(string name, string spiffeId)
    {
        using var svid = _bed.Bed.Root.IssueSvid(spiffeId);
        File.WriteAllText(Path.Combine(_directory, name + ".pem"), TestCa.ToPem(svid));
        File.WriteAllText(Path.Combine(_directory, name + "-key.pem"), TestCa.KeyToPem(svid));
    }

    // The last argument "agent" (for list) switches the client certificate to the agent's.
    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var who = args.Length > 1 && args[^1] == "agent" ? "agent" : "admin";
        var rest = who == "agent" ? args[..^1] : args;
        return RunWithAsync(_bed.AdminUrl, "ca.pem", who, rest);
    }

    private async Task<(int Code, string Output, string Error)> RunWithAsync(Uri url, string ca, string who, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] common =
        [
            "--url", url.ToString().TrimEnd('/'),
            "--cert", Path.Combine(_directory, who + ".pem"),
            "--key", Path.Combine(_directory, who + "-key.pem"),
            "--ca", Path.Combine(_directory, ca),
        ];
        var code = await AdminCommand.RunAsync([.. args, .. common], output, error);
        return (code, output.ToString(), error.ToString());
    }
}
