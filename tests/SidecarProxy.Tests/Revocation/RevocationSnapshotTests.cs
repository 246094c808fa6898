using SidecarProxy.Identity;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Tests.Revocation;

public sealed class RevocationSnapshotTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td/agent/team-a/x", true)]
    [InlineData("spiffe://td/agent/team-a", "spiffe://td/agent/team-a/x", true)]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td/agent/team-a/x/y/z", true)]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td/agent/team-ab", false)]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td/agent/team-ab/x", false)]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td/agent/team-a", false)]
    [InlineData("spiffe://td/agent/team-a/", "spiffe://td2/agent/team-a/x", false)]
    [InlineData("spiffe://td/", "spiffe://td/anything", true)]
    [InlineData("spiffe://td/", "spiffe://td2/anything", false)]
    [InlineData("spiffe://td/agent/", "spiffe://td/Agent/x", false)]
    public void Prefix_IsAPathSubtree(string prefix, string id, bool matches)
    {
        var snapshot = new RevocationSnapshot([Record(SubjectKinds.SpiffeIdPrefix, prefix)]);

        Assert.Equal(matches, snapshot.Match(SpiffeId.FromString(id), null, Now).IsRevoked);
        Assert.Equal(matches, RevocationSnapshot.Covers(new RevocationSubject(SubjectKinds.SpiffeIdPrefix, prefix), SpiffeId.FromString(id)));
    }

    [Fact]
    public void ExactId_TrustDomain_AndTask_MatchOnlyTheirSubject()
    {
        var snapshot = new RevocationSnapshot(
        [
            Record(SubjectKinds.SpiffeId, "spiffe://td/agent/a"),
            Record(SubjectKinds.TrustDomain, "evil.test"),
            Record(SubjectKinds.Task, "t-1"),
        ]);

        Assert.True(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/a"), null, Now).IsRevoked);
        Assert.False(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/a/b"), null, Now).IsRevoked);
        Assert.False(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/b"), null, Now).IsRevoked);
        Assert.True(snapshot.Match(SpiffeId.FromString("spiffe://evil.test/x"), null, Now).IsRevoked);
        Assert.False(snapshot.Match(SpiffeId.FromString("spiffe://evil.test.ok/x"), null, Now).IsRevoked);
        Assert.True(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/b"), "t-1", Now).IsRevoked);
        Assert.False(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/b"), "t-2", Now).IsRevoked);
        Assert.False(snapshot.Match(SpiffeId.FromString("spiffe://td/agent/b"), null, Now).IsRevoked);
    }

    [Fact]
    public void RevokeWinsOverQuarantine_AndQuarantineCarriesItsReason()
    {
        var quarantine = Record(SubjectKinds.SpiffeIdPrefix, "spiffe://td/agent/", RevocationActions.Quarantine, reason: "watch");
        var revoke = Record(SubjectKinds.Task, "t-1");
        var snapshot = new RevocationSnapshot([quarantine, revoke]);

        var quarantined = snapshot.Match(SpiffeId.FromString("spiffe://td/agent/a"), "t-2", Now);
        var revoked = snapshot.Match(SpiffeId.FromString("spiffe://td/agent/a"), "t-1", Now);

        Assert.False(quarantined.IsRevoked);
        Assert.Equal(("quarantined", "watch", quarantine.Id), (quarantined.Containment!.State, quarantined.Containment.Reason, quarantined.Containment.RecordId));
        Assert.Same(revoke, revoked.Revoked);
    }

    [Fact]
    public void ExpiredRecord_StopsApplyingAtItsExpiry()
    {
        var record = Record(SubjectKinds.SpiffeId, "spiffe://td/agent/a") with { ExpiresAt = Now };
        var snapshot = new RevocationSnapshot([record]);
        var id = SpiffeId.FromString("spiffe://td/agent/a");

        Assert.True(snapshot.Match(id, null, Now.AddTicks(-1)).IsRevoked);
        Assert.False(snapshot.Match(id, null, Now).IsRevoked);
    }

    [Fact]
    public void Empty_MatchesNothing()
    {
        Assert.Equal(RevocationVerdict.None, RevocationSnapshot.Empty.Match(SpiffeId.FromString("spiffe://td/a"), "t", Now));
    }

    internal static RevocationRecord Record(string kind, string value, string action = RevocationActions.Revoke, string reason = "r") => new()
    {
        Id = "rev_" + Guid.NewGuid().ToString("N")[..8],
        Subject = new RevocationSubject(kind, value),
        Action = action,
        Reason = reason,
        CreatedAt = Now.AddHours(-1),
        CreatedBy = "spiffe://td/ops/admin",
    };
}
