using System.Diagnostics;
using SidecarProxy.TestSupport;
using Xunit.Abstractions;

namespace SidecarProxy.EndToEndTests.Fleet;

/// <summary>
/// Issue 13, the fleet: two sidecars on one real redis-server share their approvals. A request held at A is
/// released by an approval at B; a refuse-mode approval is single use across both (also when they race); a revoke at
/// one cancels the approval in Redis; Redis down fails closed. Bounds only: no assertion on how long anything took
/// (the release time is written to the test output).
/// </summary>
public sealed class FleetApprovalTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task HeldAtA_ApprovedAtB_IsReleasedAndForwardedOnce()
    {
        await using var bed = await ApprovalFleetBed.StartAsync();
        var a = await bed.StartSidecarAsync();
        var b = await bed.StartSidecarAsync();

        var held = bed.DeleteAsync(a, "/hold/release-1");
        string? id = null;
        Assert.True(await Eventually.TrueAsync(async () => (id = await bed.PendingIdAsync(b, "release-1")) is not null, Bound), "B never listed the approval held at A");
        Assert.False(held.IsCompleted);

        var (status, body) = await bed.DecideAsync(b, id!, approve: true);
        var decided = Stopwatch.StartNew();
        Assert.True(status == 200, body.GetRawText());
        var (heldStatus, code, _) = await held.WaitAsync(Bound);
        output.WriteLine($"held request at A answered {decided.Elapsed.TotalMilliseconds:0} ms after the approval at B returned");

        Assert.Equal((200, null), (heldStatus, code));
        Assert.Equal(1, bed.ForwardedCount("release-1"));
        var (_, record) = await bed.GetAsync(a, "/admin/approvals/" + id);
        Assert.Equal("used", record.GetProperty("state").GetString());
    }

    [Fact]
    public async Task DeniedAtB_EndsTheRequestHeldAtA()
    {
        await using var bed = await ApprovalFleetBed.StartAsync();
        var a = await bed.StartSidecarAsync();
        var b = await bed.StartSidecarAsync();

        var held = bed.DeleteAsync(a, "/hold/deny-1");
        string? id = null;
        Assert.True(await Eventually.TrueAsync(async () => (id = await bed.PendingIdAsync(b, "deny-1")) is not null, Bound));
        Assert.Equal(200, (await bed.DecideAsync(b, id!, approve: false)).Status);

        Assert.Equal((403, "approval_denied"), ((await held.WaitAsync(Bound)).Status, (await held).Code));
        Assert.Equal(0, bed.ForwardedCount("deny-1"));
    }

    [Fact]
    public async Task RefuseMode_ApprovalIsSingleUseAcrossTheFleet_EvenWhenTwoSidecarsRace()
    {
        await using var bed = await ApprovalFleetBed.StartAsync();
        var a = await bed.StartSidecarAsync();
        var b = await bed.StartSidecarAsync();

        // Asked at A, approved at B, used at A: B refuses the second use.
        var (status, code, problem) = await bed.DeleteAsync(a, "/items/once-1");
        Assert.Equal((403, "approval_required"), (status, code));
        var id = problem.GetProperty("approval_id").GetString()!;
        Assert.Equal(200, (await bed.DecideAsync(b, id, approve: true)).Status);
        Assert.Equal((200, null), Trim(await bed.DeleteAsync(a, "/items/once-1", id)));
        Assert.Equal((403, "approval_used"), Trim(await bed.DeleteAsync(b, "/items/once-1", id)));
        Assert.Equal(1, bed.ForwardedCount("once-1"));

        // Both sidecars consume the same approval at the same moment: exactly one wins, ten times over.
        for (var round = 0; round < 10; round++)
        {
            var path = $"/items/race-{round}";
            var (_, _, asked) = await bed.DeleteAsync(b, path);
            var raceId = asked.GetProperty("approval_id").GetString()!;
            Assert.Equal(200, (await bed.DecideAsync(a, raceId, approve: true)).Status);

            var results = await Task.WhenAll(bed.DeleteAsync(a, path, raceId), bed.DeleteAsync(b, path, raceId));

            Assert.Single(results, r => r.Status == 200);
            Assert.Single(results, r => r.Code == "approval_used");
            Assert.Equal(1, bed.ForwardedCount($"race-{round}"));
        }
    }

    [Fact]
    public async Task RevokeAtA_CancelsThePendingApprovalInRedis_ForB()
    {
        await using var bed = await ApprovalFleetBed.StartAsync();
        var a = await bed.StartSidecarAsync();
        var b = await bed.StartSidecarAsync();
        var (_, code, asked) = await bed.DeleteAsync(b, "/items/revoked-1");
        Assert.Equal("approval_required", code);
        var id = asked.GetProperty("approval_id").GetString()!;

        await bed.RevokeAgentAsync(a);

        var (status, record) = await bed.GetAsync(b, "/admin/approvals/" + id);
        Assert.Equal((200, "cancelled"), (status, record.GetProperty("state").GetString()));
        Assert.Equal(409, (await bed.DecideAsync(b, id, approve: true)).Status);
    }

    [Fact]
    public async Task RedisDown_FailsClosed_RequestsRefused_DecisionsAnswer503_ThenRecovers()
    {
        await using var bed = await ApprovalFleetBed.StartAsync();
        var a = await bed.StartSidecarAsync();
        var b = await bed.StartSidecarAsync();
        var (_, _, asked) = await bed.DeleteAsync(a, "/items/outage-1");
        var id = asked.GetProperty("approval_id").GetString()!;

        await bed.Redis.StopAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await MetricsScrape.FromAsync(a.OperationsUrl))["sidecar_approval_store_up"] == 0, Bound));
        Assert.True(await Eventually.TrueAsync(async () => (await MetricsScrape.FromAsync(b.OperationsUrl))["sidecar_approval_store_up"] == 0, Bound));

        // Never approved by default: a new request, a retry with an id and a held request are all refused.
        Assert.Equal((503, "approval_unavailable"), Trim(await bed.DeleteAsync(a, "/items/outage-2")));
        Assert.Equal((503, "approval_unavailable"), Trim(await bed.DeleteAsync(a, "/items/outage-1", id)));
        Assert.Equal((503, "approval_unavailable"), Trim(await bed.DeleteAsync(b, "/hold/outage-3")));
        var (status, problem) = await bed.DecideAsync(b, id, approve: true);
        Assert.Equal((503, "approval_store_unavailable"), (status, problem.GetProperty("code").GetString()));
        Assert.Equal(503, (await bed.GetAsync(b, "/admin/approvals?state=pending")).Status);
        Assert.Equal(0, bed.ForwardedCount("outage"));
        var metrics = await MetricsScrape.FromAsync(a.OperationsUrl);
        Assert.True(metrics["sidecar_approval_store_errors_total"] >= 2);
        Assert.Equal(2, metrics["sidecar_denials_total{reason=\"approval_unavailable\"}"]);

        // Redis comes back (empty: no persistence). The old approval is gone (a mismatch), a new one works.
        await bed.Redis.StartAgainAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await bed.DeleteAsync(a, "/items/outage-4")).Code == "approval_required", Bound));
        Assert.Equal((403, "approval_mismatch"), Trim(await bed.DeleteAsync(a, "/items/outage-1", id)));
        Assert.Equal(0, bed.ForwardedCount("outage"));
    }

    private static (int, string?) Trim((int Status, string? Code, System.Text.Json.JsonElement Body) result) => (result.Status, result.Code);
}
