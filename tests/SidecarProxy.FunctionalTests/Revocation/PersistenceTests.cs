using System.Net;
using System.Text.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Configuration;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>Sidecar:Revocations:StatePath: revocations survive a restart; a corrupt file stops start-up.</summary>
public sealed class PersistenceTests : IDisposable
{
    private const string TrustDomain = "agents.test";
    private const string Victim = "spiffe://agents.test/agent/persisted";
    private readonly TestCa _root = TestCa.CreateRoot(TrustDomain);
    private readonly IdentityDirectory _identity = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-revocations-").FullName;

    public PersistenceTests() => _identity.WriteBundle(TrustDomain, _root);

    private string StatePath => Path.Combine(_directory, "revocations.json");

    [Fact]
    public async Task Revocation_SurvivesARestart_AndALiftToo()
    {
        await using var upstream = await RecordingUpstream.StartAsync();
        var settings = Settings(upstream.Url);
        string id;
        await using (var first = await TestProxy.StartAsync(_identity, settings, s => s.AddSingletonPdp(TestPolicyDecisionPoint.AllowAll())))
        {
            using var admin = AdminClient(first);
            using var created = await admin.PostAsync(new Uri("/admin/revocations", UriKind.Relative), new StringContent(
                JsonSerializer.Serialize(new { subject = new { kind = "spiffe_id", value = Victim }, action = "revoke", reason = "persist me" }),
                Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        }

        Assert.True(File.Exists(StatePath));
        await using (var second = await TestProxy.StartAsync(_identity, settings, s => s.AddSingletonPdp(TestPolicyDecisionPoint.AllowAll())))
        {
            using var agent = second.CreateClient(_root.IssueSvid(Victim));
            var problem = await Problem.ReadAsync(await agent.GetAsync(new Uri("/tools/echo/x", UriKind.Relative)));
            Assert.Equal((403, "revoked"), (problem.Status, problem.Code));
            using var admin = AdminClient(second);
            Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync(new Uri("/admin/revocations/" + id, UriKind.Relative))).StatusCode);
        }

        await using var third = await TestProxy.StartAsync(_identity, settings, s => s.AddSingletonPdp(TestPolicyDecisionPoint.AllowAll()));
        using var again = third.CreateClient(_root.IssueSvid(Victim));
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync(new Uri("/tools/echo/x", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"version": 2, "revocations": []}""")]
    [InlineData("""{"version": 1, "revocations": [{"id": "r1", "subject": {"kind": "spiffe_id", "value": "nope"}, "action": "revoke", "reason": "x", "created_at": "2026-01-01T00:00:00Z", "created_by": "a"}]}""")]
    public void CorruptStateFile_StopsStartup_NamingTheKey(string content)
    {
        File.WriteAllText(StatePath, content);

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(Settings(new Uri("http://127.0.0.1:1/"))));

        Assert.Contains("Sidecar:Revocations:StatePath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadAdminOptions_StopStartup_NamingEachKey()
    {
        var settings = Settings(new Uri("http://127.0.0.1:1/"));
        settings["Sidecar:Listen"] = "https://127.0.0.1:15999";
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:15999";
        settings["Sidecar:Admin:Principals:0:Id"] = "spiffe://agents.test/ops//x";
        settings["Sidecar:Admin:Principals:0:Roles:0"] = "god";
        settings["Sidecar:Revocations:StatePath"] = Path.Combine(_directory, "missing", "state.json");

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains("Sidecar:Admin:Listen and Sidecar:Listen must use different ports", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sidecar:Admin:Principals:0:Id", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sidecar:Admin:Principals:0:Roles:0 'god' is not a role", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Sidecar:Revocations:StatePath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdminListenNotHttps_StopsStartup()
    {
        var settings = Settings(new Uri("http://127.0.0.1:1/"));
        settings["Sidecar:Admin:Listen"] = "http://127.0.0.1:0";

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains("Sidecar:Admin:Listen must be an https:// URL", ex.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings(Uri upstream)
    {
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in _identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "echo", upstream);
        AdminBed.AddAdmin(settings, TrustDomain);
        settings["Sidecar:Revocations:StatePath"] = StatePath;
        return settings;
    }

    private HttpClient AdminClient(TestProxy proxy) =>
        TestProxy.CreateAgentClient(
            proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin),
            _root.IssueSvid($"spiffe://{TrustDomain}/ops/admin"), null, _identity.ServerCa.Certificate, out _);

    public void Dispose()
    {
        _root.Dispose();
        _identity.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
