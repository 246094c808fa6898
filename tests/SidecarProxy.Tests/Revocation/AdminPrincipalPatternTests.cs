using SidecarProxy.Admin;
using SidecarProxy.Identity;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Tests.Revocation;

public sealed class AdminPrincipalPatternTests
{
    [Theory]
    [InlineData("spiffe://td/ops/admin", "spiffe://td/ops/admin", true)]
    [InlineData("spiffe://td/ops/admin", "spiffe://td/ops/admin2", false)]
    [InlineData("spiffe://td/ops/*", "spiffe://td/ops/admin", true)]
    [InlineData("spiffe://td/ops/*", "spiffe://td/ops/a/b", false)]
    [InlineData("spiffe://td/ops/**", "spiffe://td/ops/a/b", true)]
    [InlineData("spiffe://td/ops/**", "spiffe://td/ops", true)]
    [InlineData("spiffe://td/ops/**", "spiffe://td/opsx/a", false)]
    [InlineData("spiffe://td/ops/admin-*", "spiffe://td/ops/admin-1", true)]
    [InlineData("spiffe://td/ops/admin-*", "spiffe://td/ops/reader-1", false)]
    [InlineData("spiffe://td/ops/*", "spiffe://other/ops/admin", false)]
    public void Matches(string pattern, string id, bool expected)
    {
        var compiled = AdminPrincipalPattern.TryCreate(pattern, out var error);

        Assert.Null(error);
        Assert.Equal(expected, compiled!.Matches(SpiffeId.FromString(id)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ops/admin")]
    [InlineData("spiffe://td/ops//admin")]
    [InlineData("spiffe://*/ops")]
    [InlineData("spiffe://td/ops/a**")]
    [InlineData("spiffe://TD/ops")]
    public void Malformed_IsRejected(string? pattern)
    {
        Assert.Null(AdminPrincipalPattern.TryCreate(pattern, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}

public sealed class RevocationRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-11-25T13:00:00Z", true)]
    [InlineData("2026-11-25T12:59:00+01:00", false)]
    [InlineData("2026-11-25T14:00:00.5+01:00", true)]
    [InlineData("2026-11-25t14:00:00z", true)]
    [InlineData("2026-11-25T13:00:00", false)]
    [InlineData("2026-11-25", false)]
    [InlineData("2026-11-25T11:59:59Z", false)]
    public void ExpiresAt_MustBeRfc3339AndInTheFuture(string expiresAt, bool valid)
    {
        using var body = System.Text.Json.JsonDocument.Parse(
            $$"""{"subject": {"kind": "task", "value": "t"}, "action": "revoke", "reason": "r", "expires_at": "{{expiresAt}}"}""");

        Assert.Equal(valid, RevocationRequest.TryParse(body.RootElement, Now, out _, out _));
    }

    [Fact]
    public void EveryProblemIsReported()
    {
        using var body = System.Text.Json.JsonDocument.Parse("""{"subject": {"kind": "x", "value": "y"}, "action": "z"}""");

        Assert.False(RevocationRequest.TryParse(body.RootElement, Now, out _, out var errors));
        Assert.Equal(3, errors.Count);
    }

    [Theory]
    [InlineData(SubjectKinds.SpiffeId, "spiffe://td", false)]
    [InlineData(SubjectKinds.SpiffeIdPrefix, "spiffe://td/a//", false)]
    [InlineData(SubjectKinds.SpiffeIdPrefix, "spiffe://td/a/", true)]
    [InlineData(SubjectKinds.TrustDomain, "td.example", true)]
    [InlineData(SubjectKinds.Task, "t\n1", false)]
    public void Subjects(string kind, string value, bool valid)
    {
        Assert.Equal(valid, RevocationRequest.ValidateSubject(kind, value) is null);
    }
}
