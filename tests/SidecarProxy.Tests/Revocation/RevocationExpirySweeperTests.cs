using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;
using SidecarProxy.Audit;
using SidecarProxy.Observability;
using SidecarProxy.Revocation;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Revocation;

public sealed class RevocationExpirySweeperTests
{
    [Fact]
    public async Task Sweep_RemovesExpiredRecordsOnly_AndAuditsEach()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        var store = new RevocationStore(Options.Create(new RevocationOptions()), time, NullLogger<RevocationStore>.Instance);
        var destination = new MemoryStream();
        var writer = new AuditWriter(destination, ownsDestination: false, "memory", 100, NullLogger.Instance);
        var sweeper = new RevocationExpirySweeper(
            store, new AdminAudit(writer, new SidecarMetrics(), time), time, NullLogger<RevocationExpirySweeper>.Instance);
        store.Add(new RevocationSubject(SubjectKinds.Task, "t-short"), RevocationActions.Revoke, "r", time.GetUtcNow().AddMinutes(1), "spiffe://td/ops/admin");
        store.Add(new RevocationSubject(SubjectKinds.Task, "t-long"), RevocationActions.Revoke, "r", null, "spiffe://td/ops/admin");

        Assert.Equal(0, sweeper.SweepOnce());
        time.Now += TimeSpan.FromMinutes(1);
        Assert.Equal(1, sweeper.SweepOnce());

        Assert.Equal("t-long", Assert.Single(store.Snapshot.Records).Subject.Value);
        await writer.DisposeAsync();
        var line = Assert.Single(Encoding.UTF8.GetString(destination.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"event\":\"revocation_expired\"", line, StringComparison.Ordinal);
        Assert.Contains("\"subject\":\"t-short\"", line, StringComparison.Ordinal);
    }
}
