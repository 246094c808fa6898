using System.Text.Json;
using StackExchange.Redis;
using SidecarProxy.Admin.Cli;
using SidecarProxy.Revocation;
using SidecarProxy.TestSupport;

namespace SidecarProxy.EndToEndTests.Fleet;

/// <summary>
/// Fleet-wide revocation on a real redis-server with real sidecars: a revocation made at one sidecar is enforced at
/// another; Redis going away keeps what is known enforced, and what was made meanwhile reaches every sidecar once it
/// is back (even though Redis comes back empty); a sidecar reconciles before it reports ready; OnStale=deny refuses
/// agents once the list is stale. Bounds only: no assertion on how long anything took.
/// </summary>
public sealed class FleetRevocationTests
{
    private const string Agent = "spiffe://sidecar.dev/agent/demo";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RevokeAtA_IsEnforcedAtB_AndTheLiftPropagates()
    {
        await using var bed = await FleetBed.StartAsync();
        var a = await bed.StartSidecarAsync("a");
        var b = await bed.StartSidecarAsync("b");
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(a) && await FleetBed.IsReadyAsync(b), Bound));
        Assert.Equal((200, null), await bed.AgentGetAsync(b, Agent));

        var record = await bed.RevokeAsync(a, Agent);

        Assert.Equal("replicated", record.GetProperty("fleet").GetString());
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(a, Agent));
        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(b, Agent)) == (403, "revoked"), Bound), "B never refused the agent revoked at A");
        var check = await bed.CheckAsync(b, Agent);
        Assert.True(check.GetProperty("refused").GetBoolean());
        Assert.Equal(record.GetProperty("id").GetString(), check.GetProperty("record_id").GetString());
        Assert.Equal(0, check.GetProperty("cached_credentials").GetInt32());
        var metrics = await MetricsScrape.FromAsync(b.OperationsUrl);
        Assert.Equal(1, metrics["sidecar_revocation_propagation_seconds_count{via=\"pubsub\"}"] + metrics["sidecar_revocation_propagation_seconds_count{via=\"reconcile\"}"]);
        Assert.Equal(1, metrics["sidecar_revocation_store_up"]);

        var (status, body) = await bed.LiftAsync(a, record.GetProperty("id").GetString()!);

        Assert.True(status == 200, body);
        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(b, Agent)) == (200, null), Bound), "B never admitted the agent again after the lift at A");
        Assert.Equal((200, null), await bed.AgentGetAsync(a, Agent));
    }

    [Fact]
    public async Task RedisDown_KnownRevocationsStayEnforced_LiftsAreRefused_AndWhatWasMadeMeanwhileReachesB()
    {
        const string before = "spiffe://sidecar.dev/agent/before-outage";
        const string during = "spiffe://sidecar.dev/agent/during-outage";
        await using var bed = await FleetBed.StartAsync();
        var a = await bed.StartSidecarAsync("a");
        var b = await bed.StartSidecarAsync("b");
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(a) && await FleetBed.IsReadyAsync(b), Bound));
        var first = await bed.RevokeAsync(a, before);
        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(b, before)).Status == 403, Bound));

        await bed.Redis.StopAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await MetricsScrape.FromAsync(a.OperationsUrl))["sidecar_revocation_store_up"] == 0, Bound));

        // Known revocations stay enforced; a new one applies at once where it is made and is queued for the fleet.
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(b, before));
        var second = await bed.RevokeAsync(a, during);
        Assert.Equal("queued", second.GetProperty("fleet").GetString());
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(a, during));
        Assert.NotEqual("revoked", (await bed.AgentGetAsync(b, during)).Code);

        // A lift must reach the fleet store: refused, nothing changed.
        var (status, body) = await bed.LiftAsync(a, first.GetProperty("id").GetString()!);
        Assert.True(status == 503, body);
        Assert.Contains("fleet_unavailable", body, StringComparison.Ordinal);
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(a, before));

        // Redis comes back empty (no persistence): A writes what it made meanwhile, the sidecars write back what
        // they knew, and B enforces both.
        await bed.Redis.StartAgainAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(b, during)) == (403, "revoked"), Bound), "B never enforced the revocation made at A while Redis was down");
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(b, before));
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(b), Bound));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis.ConnectionString);
        var ids = (await redis.GetDatabase().HashKeysAsync(FleetRecordSet.RecordsKey)).Select(k => (string)k!).Order().ToList();
        Assert.Equal(new[] { first.GetProperty("id").GetString(), second.GetProperty("id").GetString() }.Order(), ids);
    }

    [Fact]
    public async Task RestartedSidecar_ReconcilesBeforeItReportsReady()
    {
        await using var bed = await FleetBed.StartAsync();
        var a = await bed.StartSidecarAsync("a");
        var b = await bed.StartSidecarAsync("b");
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(a) && await FleetBed.IsReadyAsync(b), Bound));

        // B is away (its state file does not know) while the agent is revoked at A.
        await bed.StopSidecarAsync(b);
        await bed.RevokeAsync(a, Agent);
        b = await bed.StartSidecarAsync("b");

        // The first time B says ready, it enforces the revocation it never heard announced.
        Assert.True(await Eventually.TrueAsync(() => FleetBed.IsReadyAsync(b), Bound), "B never became ready");
        Assert.Equal((403, "revoked"), await bed.AgentGetAsync(b, Agent));
        var ready = await FleetBed.ReadyAsync(b);
        Assert.True(ready.Body.GetProperty("checks").GetProperty("revocations").GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Stale_DenyRefusesAgentsWith503_ServeIsDegraded_BothRecover()
    {
        await using var bed = await FleetBed.StartAsync();
        var deny = await bed.StartSidecarAsync("deny", maxStaleness: "00:00:01.500", onStale: "deny");
        var serve = await bed.StartSidecarAsync("serve", maxStaleness: "00:00:01.500");
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(deny) && await FleetBed.IsReadyAsync(serve), Bound));
        Assert.Equal((200, null), await bed.AgentGetAsync(deny, Agent));

        await bed.Redis.StopAsync();

        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(deny, Agent)) == (503, "revocations_stale"), Bound), "the deny sidecar never refused with revocations_stale");
        Assert.Equal(503, (await FleetBed.ReadyAsync(deny)).Status);
        Assert.True(await Eventually.TrueAsync(async () => (await FleetBed.ReadyAsync(serve)).Body.GetProperty("status").GetString() == "degraded", Bound));
        Assert.Equal(200, (await FleetBed.ReadyAsync(serve)).Status);
        Assert.Equal((200, null), await bed.AgentGetAsync(serve, Agent));
        var metrics = await MetricsScrape.FromAsync(deny.OperationsUrl);
        Assert.Equal(0, metrics["sidecar_revocation_store_up"]);
        Assert.True(metrics["sidecar_revocation_store_staleness_seconds"] >= metrics["sidecar_revocation_store_max_staleness_seconds"]);
        Assert.True(metrics["sidecar_denials_total{reason=\"revocations_stale\"}"] >= 1);

        await bed.Redis.StartAgainAsync();

        Assert.True(await Eventually.TrueAsync(async () => (await bed.AgentGetAsync(deny, Agent)) == (200, null), Bound), "the deny sidecar never served again");
        Assert.True(await Eventually.TrueAsync(async () => (await FleetBed.ReadyAsync(serve)).Body.GetProperty("status").GetString() == "ready", Bound));
    }

    [Fact]
    public async Task Drill_OnTwoSidecars_Passes_AndReportsEachPropagation()
    {
        await using var bed = await FleetBed.StartAsync();
        var a = await bed.StartSidecarAsync("a");
        var b = await bed.StartSidecarAsync("b");
        Assert.True(await Eventually.TrueAsync(async () => await FleetBed.IsReadyAsync(a) && await FleetBed.IsReadyAsync(b), Bound));
        var (cert, key, ca) = bed.WriteAdminPem();
        string[] common = ["--sidecar", FleetBed.AdminUrl(a).ToString(), "--sidecar", FleetBed.AdminUrl(b).ToString(),
            "--canary", "spiffe://sidecar.dev/drill/canary", "--cert", cert, "--key", key, "--ca", ca];

        var (code, output, error) = await RunAsync(common);
        var (jsonCode, json, _) = await RunAsync([.. common, "--json"]);

        Assert.True(code == 0, output + error);
        Assert.Contains("drill passed", output, StringComparison.Ordinal);
        Assert.Contains("(replicated)", output, StringComparison.Ordinal);
        Assert.Equal(0, jsonCode);
        var report = JsonDocument.Parse(json).RootElement;
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.All(report.GetProperty("sidecars").EnumerateArray(), s =>
        {
            Assert.True(s.GetProperty("revoke").GetProperty("ok").GetBoolean());
            Assert.True(s.GetProperty("revoke").GetProperty("seconds").GetDouble() >= 0);
            Assert.True(s.GetProperty("lift").GetProperty("ok").GetBoolean());
        });

        // Nothing is left behind: the canary is admitted everywhere and no record remains.
        Assert.False((await bed.CheckAsync(b, "spiffe://sidecar.dev/drill/canary")).GetProperty("refused").GetBoolean());
        Assert.Equal(0, (await bed.CheckAsync(a, "spiffe://sidecar.dev/drill/canary")).GetProperty("revocations").GetInt32());

        // A canary already refused somewhere fails the drill before it changes anything.
        await bed.RevokeAsync(b, "spiffe://sidecar.dev/drill/canary");
        Assert.True(await Eventually.TrueAsync(async () => (await bed.CheckAsync(a, "spiffe://sidecar.dev/drill/canary")).GetProperty("refused").GetBoolean(), Bound));
        var (refusedCode, _, refusedError) = await RunAsync(common);
        Assert.Equal(1, refusedCode);
        Assert.Contains("already refused", refusedError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AdminCommand.RunAsync(["drill", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }
}
