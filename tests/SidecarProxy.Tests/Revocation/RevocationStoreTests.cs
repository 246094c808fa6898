using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Identity;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Revocation;

public sealed class RevocationStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-store-").FullName;
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private string StatePath => Path.Combine(_directory, "state.json");

    private RevocationStore NewStore(string? path) =>
        new(Options.Create(new RevocationOptions { StatePath = path }), _time, NullLogger<RevocationStore>.Instance);

    [Fact]
    public void AddAndRemove_ArePersistedAndReloaded()
    {
        var store = NewStore(StatePath);
        var kept = store.Add(new RevocationSubject(SubjectKinds.SpiffeId, "spiffe://td/a"), RevocationActions.Revoke, "r1", null, "spiffe://td/ops/admin");
        var lifted = store.Add(new RevocationSubject(SubjectKinds.Task, "t-1"), RevocationActions.Quarantine, "r2", _time.GetUtcNow().AddHours(1), "spiffe://td/ops/admin");
        Assert.Same(lifted, store.Remove(lifted.Id));
        Assert.Null(store.Remove("rev_unknown"));

        var reloaded = NewStore(StatePath);
        Assert.Equal(1, reloaded.Load());

        Assert.Equal([kept], reloaded.Snapshot.Records);
        Assert.True(reloaded.Check(SpiffeId.FromString("spiffe://td/a"), null).IsRevoked);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public void WithoutStatePath_LivesInMemory()
    {
        var store = NewStore(null);
        store.Add(new RevocationSubject(SubjectKinds.TrustDomain, "td"), RevocationActions.Revoke, "r", null, "a");

        Assert.Equal(0, NewStore(null).Load());
        Assert.False(store.IsPersistent);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void MissingStateFile_IsAnEmptyList()
    {
        Assert.Equal(0, NewStore(StatePath).Load());
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"version\": 1}")]
    [InlineData("{\"version\": 1, \"revocations\": [{\"id\": \"a\"}]}")]
    [InlineData("{\"version\": 1, \"revocations\": [{\"id\": \"a\", \"subject\": {\"kind\": \"task\", \"value\": \"t\"}, \"action\": \"nuke\", \"reason\": \"r\", \"created_at\": \"2026-01-01T00:00:00Z\", \"created_by\": \"x\"}]}")]
    public void CorruptStateFile_Throws(string content)
    {
        File.WriteAllText(StatePath, content);

        Assert.Throws<InvalidDataException>(() => NewStore(StatePath).Load());
    }

    [Fact]
    public void FailedSave_ChangesNothing()
    {
        var store = NewStore(Path.Combine(_directory, "gone", "state.json"));

        Assert.Throws<RevocationStateException>(() =>
            store.Add(new RevocationSubject(SubjectKinds.SpiffeId, "spiffe://td/a"), RevocationActions.Revoke, "r", null, "a"));
        Assert.True(store.Snapshot.IsEmpty);
    }

    [Fact]
    public void RemoveExpired_DropsOnlyExpiredRecords_AndCountActiveFollowsTheClock()
    {
        var store = NewStore(StatePath);
        store.Add(new RevocationSubject(SubjectKinds.SpiffeId, "spiffe://td/a"), RevocationActions.Revoke, "r", _time.GetUtcNow().AddMinutes(5), "a");
        store.Add(new RevocationSubject(SubjectKinds.SpiffeId, "spiffe://td/b"), RevocationActions.Revoke, "r", null, "a");
        Assert.Equal(2, store.CountActive(RevocationActions.Revoke));

        _time.Now += TimeSpan.FromMinutes(5);

        Assert.Equal(1, store.CountActive(RevocationActions.Revoke));
        Assert.False(store.Check(SpiffeId.FromString("spiffe://td/a"), null).IsRevoked);
        var expired = Assert.Single(store.RemoveExpired());
        Assert.Equal("spiffe://td/a", expired.Subject.Value);
        Assert.Single(store.Snapshot.Records);
        using var saved = JsonDocument.Parse(File.ReadAllText(StatePath));
        Assert.Equal(1, saved.RootElement.GetProperty("revocations").GetArrayLength());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
