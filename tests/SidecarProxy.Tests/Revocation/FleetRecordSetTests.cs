using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Revocation;

/// <summary>The fleet's record-set logic that needs no Redis: the reconcile plan, the wire formats, the options.</summary>
public sealed class FleetRecordSetTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static RevocationRecord Record(string id, string subject = "spiffe://td/agent/a", DateTimeOffset? expires = null) => new()
    {
        Id = id,
        Subject = new RevocationSubject(SubjectKinds.SpiffeId, subject),
        Action = RevocationActions.Revoke,
        Reason = "r",
        CreatedAt = Now.AddMinutes(-5),
        CreatedBy = "spiffe://td/ops/admin",
        ExpiresAt = expires,
    };

    private static FleetSnapshot Fleet(IEnumerable<RevocationRecord> records, params string[] lifted) => new(
        "e1", 7, records.ToDictionary(r => r.Id, StringComparer.Ordinal), lifted.ToDictionary(id => id, _ => Now.AddMinutes(-1), StringComparer.Ordinal), 0);

    [Fact]
    public void Plan_IsTheUnionMinusTombstones()
    {
        var both = Record("rev_both");
        var onlyFleet = Record("rev_fleet");
        var onlyHere = Record("rev_here");
        var liftedElsewhere = Record("rev_lifted");

        var plan = FleetReconciler.Plan([both, onlyHere, liftedElsewhere], Fleet([both, onlyFleet], "rev_lifted"), new HashSet<string>(), Now);

        Assert.Equal(["rev_fleet"], plan.Add.Select(r => r.Id));
        Assert.Equal(["rev_lifted"], plan.Remove);
        Assert.Equal(["rev_here"], plan.Push.Select(r => r.Id));
    }

    [Fact]
    public void Plan_AfterRedisLostItsData_WritesEverythingBack_AndDropsNothing()
    {
        var local = new[] { Record("rev_1"), Record("rev_2", "spiffe://td/agent/b") };

        var plan = FleetReconciler.Plan(local, new FleetSnapshot(null, 0, new Dictionary<string, RevocationRecord>(), new Dictionary<string, DateTimeOffset>(), 0), new HashSet<string>(), Now);

        Assert.Empty(plan.Add);
        Assert.Empty(plan.Remove);
        Assert.Equal(["rev_1", "rev_2"], plan.Push.Select(r => r.Id));
    }

    [Fact]
    public void Plan_LeavesExpiredRecordsToTheSweep_AndSkipsPendingLifts()
    {
        var expiredThere = Record("rev_old", expires: Now.AddSeconds(-1));
        var expiredHere = Record("rev_old_here", expires: Now.AddSeconds(-1));
        var liftedHere = Record("rev_lifted_here");

        var plan = FleetReconciler.Plan([expiredHere], Fleet([expiredThere, liftedHere]), new HashSet<string> { "rev_lifted_here" }, Now);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Plan_IsIdempotent_OnceApplied()
    {
        var fleet = Fleet([Record("rev_a"), Record("rev_b")], "rev_c");
        var first = FleetReconciler.Plan([Record("rev_c"), Record("rev_d")], fleet, new HashSet<string>(), Now);

        List<RevocationRecord> local = [.. new[] { Record("rev_d") }, .. first.Add];
        var pushed = new Dictionary<string, RevocationRecord>(fleet.Records, StringComparer.Ordinal);
        foreach (var record in first.Push)
        {
            pushed[record.Id] = record;
        }

        var second = FleetReconciler.Plan(local, fleet with { Records = pushed }, new HashSet<string>(), Now);

        Assert.True(second.IsEmpty);
    }

    [Fact]
    public void Records_RoundTripThroughTheSetsJson_AndBadOnesAreRefused()
    {
        var record = Record("rev_x", expires: Now.AddHours(1));
        var json = JsonSerializer.Serialize(record, FleetJsonContext.Default.RevocationRecord);

        Assert.Equal(record, FleetRecordSet.ParseRecord(json));
        Assert.Null(FleetRecordSet.ParseRecord("{"));
        Assert.Null(FleetRecordSet.ParseRecord(json.Replace("\"revoke\"", "\"nuke\"", StringComparison.Ordinal)));
        Assert.Null(FleetRecordSet.ParseRecord(json.Replace("spiffe://td/agent/a", "not-a-spiffe-id", StringComparison.Ordinal)));
        Assert.Null(FleetRecordSet.ParseRecord("""{"id":"rev_y"}"""));
    }

    [Fact]
    public void Announcements_AsTheLuaScriptWritesThem_AreParsed()
    {
        var created = JsonSerializer.Serialize(new FleetEvent { Type = FleetEvent.Created, Origin = "o1", Record = Record("rev_x") }, FleetJsonContext.Default.FleetEvent);
        var lifted = JsonSerializer.Serialize(new FleetEvent { Type = FleetEvent.Lifted, Origin = "o1", Id = "rev_x", At = Now, By = "spiffe://td/ops/admin" }, FleetJsonContext.Default.FleetEvent);

        // The script prepends the version and the epoch to the object.
        static string AsPublished(string json) => "{\"version\":12,\"epoch\":\"e1\"," + json[1..];

        var parsedCreated = FleetEvent.Parse(AsPublished(created));
        var parsedLifted = FleetEvent.Parse(AsPublished(lifted));

        Assert.Equal((12L, "e1", "rev_x"), (parsedCreated!.Version!.Value, parsedCreated.Epoch, parsedCreated.Record!.Id));
        Assert.Equal((FleetEvent.Lifted, "rev_x"), (parsedLifted!.Type, parsedLifted.Id));
        Assert.Null(FleetEvent.Parse(created));
        Assert.Null(FleetEvent.Parse(AsPublished("""{"type":"created","origin":"o"}""")));
        Assert.Null(FleetEvent.Parse("nope"));
    }

    [Fact]
    public void ApplyFleet_AddsAndRemoves_WithoutCallingTheLocalHook()
    {
        var store = new RevocationStore(Options.Create(new RevocationOptions()), new ManualTimeProvider(Now), NullLogger<RevocationStore>.Instance);
        var local = store.Add(new RevocationSubject(SubjectKinds.SpiffeId, "spiffe://td/agent/local"), RevocationActions.Revoke, "r", null, "a");
        var hooked = new List<RevocationChange>();
        store.LocalChanged = hooked.Add;

        var (added, removed) = store.ApplyFleet([Record("rev_remote"), Record("rev_remote")], [local.Id]);
        var again = store.ApplyFleet([Record("rev_remote")], ["rev_unknown"]);

        Assert.Equal(["rev_remote"], added.Select(r => r.Id));
        Assert.Equal([local.Id], removed.Select(r => r.Id));
        Assert.Empty(again.Added);
        Assert.Empty(again.Removed);
        Assert.Empty(hooked);
        Assert.True(store.Check(SpiffeId.FromString("spiffe://td/agent/a"), null).IsRevoked);
        Assert.False(store.Check(SpiffeId.FromString("spiffe://td/agent/local"), null).IsRevoked);

        store.Remove("rev_remote");
        Assert.Equal([RevocationChangeKind.Lifted], hooked.Select(c => c.Kind));
    }

    [Theory]
    [InlineData("127.0.0.1:6379", null)]
    [InlineData("redis.internal:6380,password=s3cret,ssl=true", null)]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1:6379,passwrd=s3cret", "not a valid")]
    [InlineData("password=s3cret", "names no endpoint")]
    public void RedisConnectionString_IsValidated_WithoutEchoingIt(string value, string? expected)
    {
        var problem = RevocationFleetOptionsValidator.ParseRedis(value);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Options_EveryErrorNamesItsKey()
    {
        var options = new RevocationOptions { Redis = "host:6379,bogus=secret", MaxStaleness = TimeSpan.Zero, OnStale = "panic" };

        var result = new RevocationFleetOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Revocations:Redis ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Revocations:MaxStaleness ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Revocations:OnStale ", StringComparison.Ordinal) && f.Contains("serve, deny", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("secret", StringComparison.Ordinal));
        Assert.False(new RevocationFleetOptionsValidator().Validate(null, new RevocationOptions()).Failed);
    }

    [Fact]
    public void Redact_DropsThePassword()
    {
        Assert.DoesNotContain("s3cret", RevocationFleetOptionsValidator.Redact("127.0.0.1:6379,password=s3cret"), StringComparison.Ordinal);
    }
}
