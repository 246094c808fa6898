using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;
using SidecarProxy.Credentials;
using SidecarProxy.Spiffe;
using SidecarProxy.Tests.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Audit;

public sealed class AuditWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static AuditRecord Record(int i) => new()
    {
        Time = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(i),
        RequestId = $"req-{i}",
        DecisionId = "d-1",
        SpiffeId = "spiffe://agents.example.org/agent/researcher",
        TaskId = "t-7f3c",
        Tool = "github",
        Method = "POST",
        Path = "/repos/acme/app/issues",
        Decision = "allow",
        Reason = "researcher may file issues",
        PolicyRevision = "rev-3",
        Scopes = ["issues:write"],
        LatencyMs = 1.5,
        Status = 201,
    };

    private static AuditWriter FileWriter(string path, int capacity = 10_000) =>
        new(Options.Create(new AuditOptions { Path = path, QueueCapacity = capacity }), NullLogger<AuditWriter>.Instance);

    [Fact]
    public async Task NRecords_NParseableLinesAfterDispose()
    {
        const int n = 1000;
        var path = _dir.PathOf("audit.jsonl");
        var writer = FileWriter(path);

        for (var i = 0; i < n; i++)
        {
            Assert.True(writer.TryWrite(Record(i)));
        }

        await writer.DisposeAsync();

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(n, lines.Length);
        Assert.Equal(n, writer.Written);
        Assert.Equal(0, writer.Dropped);
        for (var i = 0; i < n; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            Assert.Equal($"req-{i}", root.GetProperty("request_id").GetString());
            Assert.Equal("spiffe://agents.example.org/agent/researcher", root.GetProperty("spiffe_id").GetString());
            Assert.Equal("t-7f3c", root.GetProperty("task_id").GetString());
            Assert.Equal("allow", root.GetProperty("decision").GetString());
            Assert.Equal("rev-3", root.GetProperty("policy_revision").GetString());
            Assert.Equal("d-1", root.GetProperty("decision_id").GetString());
            Assert.Equal(201, root.GetProperty("status").GetInt32());
            Assert.Equal(1.5, root.GetProperty("latency_ms").GetDouble());
            Assert.Equal(Record(i).Time, root.GetProperty("time").GetDateTimeOffset());
        }
    }

    [Fact]
    public async Task ConcurrentWriters_AllLinesWrittenWhole()
    {
        var path = _dir.PathOf("audit.jsonl");
        var writer = FileWriter(path);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 250; i++)
            {
                writer.TryWrite(Record((t * 1000) + i));
            }
        })));
        await writer.DisposeAsync();

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2000, lines.Length);
        Assert.Equal(2000, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("request_id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task ExistingFile_AppendedTo()
    {
        var path = _dir.Write("audit.jsonl", "{\"previous\":true}\n");
        var writer = FileWriter(path);
        writer.TryWrite(Record(1));
        await writer.DisposeAsync();

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"previous\":true}", lines[0]);
    }

    [Fact]
    public async Task StopAsync_DrainsQueueBeforeReturning()
    {
        var path = _dir.PathOf("audit.jsonl");
        var writer = FileWriter(path);
        await writer.StartAsync(default);
        for (var i = 0; i < 300; i++)
        {
            writer.TryWrite(Record(i));
        }

        await writer.StopAsync(default);

        Assert.Equal(300, writer.Written);
        Assert.False(writer.TryWrite(Record(301)));
        await writer.DisposeAsync();
        Assert.Equal(300, (await File.ReadAllLinesAsync(path)).Length);
        Assert.Equal(1, writer.Dropped);
    }

    [Fact]
    public async Task QueueFull_DropsAndCountsInsteadOfBlocking()
    {
        var gate = new StalledStream();
        var writer = new AuditWriter(gate, ownsDestination: true, "gated", capacity: 4, NullLogger.Instance);

        var accepted = 0;
        for (var i = 0; i < 50; i++)
        {
            if (writer.TryWrite(Record(i)))
            {
                accepted++;
            }
        }

        // The queue holds four; the drain loop holds the batch it took before its write blocked (at most four more).
        Assert.InRange(accepted, 4, 8);
        Assert.Equal(50 - accepted, writer.Dropped);

        gate.Release();
        await writer.DisposeAsync();
        Assert.Equal(accepted, gate.Lines.Length);
        Assert.Equal(accepted, writer.Written);
    }

    /// <summary>
    /// The writer rests only when its queue is empty. Its rests are the only time it spends not writing, so with a
    /// clock whose intervals pass only when the test says so, this offers 1,000 records (~450 KB) per 10 ms interval:
    /// 100,000 records/s, ~45 MB/s, seven times the old ceiling of one 64 KB batch per 10 ms rest. Every record must
    /// be written, none dropped, with one interval per burst. (The old loop wrote ~140 records per interval and
    /// never finished a burst.) No timing is asserted: the waits only bound a failure.
    /// </summary>
    [Fact]
    public async Task Bursts_FarAboveTheOldCeiling_AreWrittenWhole_OneRestPerBurst()
    {
        const int Bursts = 100;
        const int PerBurst = 1_000;
        var sink = new CountingStream();
        var clock = new SteppedTimeProvider();
        var writer = new AuditWriter(sink, ownsDestination: false, "counting", capacity: 10_000, NullLogger.Instance, clock);
        var record = Record(1);
        var enqueued = 0;

        for (var burst = 0; burst < Bursts; burst++)
        {
            for (var i = 0; i < PerBurst; i++)
            {
                Assert.True(writer.TryWrite(record));
                enqueued++;
            }

            clock.Step();
            for (var wait = 0; wait < 3000 && writer.Written < enqueued; wait++)
            {
                await Task.Delay(10);
            }

            Assert.Equal(enqueued, writer.Written);
        }

        Assert.Equal(Bursts * PerBurst, sink.Lines);
        Assert.Equal(0, writer.Dropped);
        Assert.Equal(0, writer.Pending);
        clock.Step();
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task FailingDestination_IsFaultedUntilAWriteSucceeds()
    {
        var destination = new FailingOnceStream();
        var writer = new AuditWriter(destination, ownsDestination: false, "failing", capacity: 100, NullLogger.Instance);

        Assert.False(writer.IsFaulted);
        Assert.True(writer.TryWrite(Record(1)));
        await destination.FirstWriteAttempted.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 600 && writer.Failed == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(writer.IsFaulted);
        Assert.True(writer.TryWrite(Record(2)));
        for (var i = 0; i < 600 && writer.Written == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.False(writer.IsFaulted);
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task Reservation_HoldsASlotUntilItsRecordIsQueued()
    {
        var gate = new StalledStream();
        var writer = new AuditWriter(gate, ownsDestination: false, "gated", capacity: 2, NullLogger.Instance);

        Assert.True(writer.TryReserve());
        Assert.True(writer.TryReserve());
        Assert.False(writer.TryReserve());
        Assert.False(writer.TryWrite(Record(0)));

        Assert.True(writer.WriteReserved(Record(1)));
        Assert.True(writer.WriteReserved(Record(2)));
        gate.Release();
        await writer.DisposeAsync();

        Assert.Equal(2, writer.Written);
        Assert.Equal(1, writer.Dropped);
    }

    [Fact]
    public void WithCredential_RecordsFingerprintNeverValue()
    {
        var now = DateTimeOffset.UnixEpoch;
        var credential = new IssuedCredential("Authorization", "Bearer secret-value", now.AddSeconds(120), CredentialFingerprint.Of("Bearer secret-value"),
            JustInTime: false, CacheHit: true, "legacy", CredentialKind.Static);

        var record = Record(1).WithCredential(credential.ToIssue(), ["a"], now);
        var json = JsonSerializer.Serialize(record, AuditJsonContext.Default.AuditRecord);

        Assert.DoesNotContain("secret-value", json, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(credential.Fingerprint, doc.RootElement.GetProperty("credential_fingerprint").GetString());
        Assert.Equal("static", doc.RootElement.GetProperty("credential_kind").GetString());
        Assert.Equal("legacy", doc.RootElement.GetProperty("credential_provider").GetString());
        Assert.False(doc.RootElement.GetProperty("credential_just_in_time").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("cache_hit").GetBoolean());
        Assert.Equal(120, doc.RootElement.GetProperty("ttl_seconds").GetDouble());
    }

    [Fact]
    public void Validator_ListsErrors()
    {
        var result = new AuditOptionsValidator().Validate(
            null, new AuditOptions { Path = "/nonexistent-dir/x/audit.jsonl", QueueCapacity = 0, OnFailure = (AuditFailureMode)7 });

        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public async Task WriteErrors_CountRecordsAsFailed_AndLaterBatchesStillWrite()
    {
        var destination = new FailingOnceStream();
        var writer = new AuditWriter(destination, ownsDestination: false, "failing", capacity: 100, NullLogger.Instance);

        Assert.True(writer.TryWrite(Record(1)));
        await destination.FirstWriteAttempted.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(writer.TryWrite(Record(2)));
        await writer.DisposeAsync();

        Assert.Equal(1, writer.Failed);
        Assert.Equal(1, writer.Written);
        Assert.Contains("req-2", destination.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("req-1", destination.Text, StringComparison.Ordinal);
    }
}
