using System.Text;
using Microsoft.Extensions.Options;
using SidecarProxy.Approvals;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Rego.Values;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Approvals;

public sealed class ApprovalDigestTests
{
    private static string Digest(string id = "spiffe://td/agent/a", string? task = "t-1", string tool = "github", string method = "POST",
        string path = "/repos/x?y=1", string body = "{}") =>
        ApprovalDigest.Compute(id, task, tool, method, path, ApprovalDigest.BodyHash(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void SameRequest_SameDigest_AndEveryFieldChangesIt()
    {
        var digest = Digest();
        Assert.Equal(digest, Digest());
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        Assert.Equal(digest, Digest(method: "post"));
        string[] others =
        [
            Digest(id: "spiffe://td/agent/b"), Digest(task: "t-2"), Digest(task: null), Digest(task: ""), Digest(tool: "gitlab"),
            Digest(method: "PUT"), Digest(path: "/repos/x?y=2"), Digest(path: "/repos/x"), Digest(body: "{ }"),
        ];
        Assert.DoesNotContain(digest, others);
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void FieldsAreLengthPrefixed_SoShiftingABoundaryChangesTheDigest()
    {
        var body = ApprovalDigest.BodyHash([]);
        Assert.NotEqual(
            ApprovalDigest.Compute("spiffe://td/a", "t", "toolx", "GET", "/p", body),
            ApprovalDigest.Compute("spiffe://td/a", "tt", "oolx", "GET", "/p", body));
    }

    [Fact]
    public void Matches_IsExact()
    {
        Assert.True(ApprovalDigest.Matches("sha256:ab", "sha256:ab"));
        Assert.False(ApprovalDigest.Matches("sha256:ab", "sha256:ac"));
        Assert.False(ApprovalDigest.Matches(null, "sha256:ab"));
    }
}

public sealed class ApprovalStoreTests
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);

    private InMemoryApprovalStore Store(int maxPending = 10) =>
        new(Options.Create(new ApprovalOptions { MaxPending = maxPending }), _time);

    private static ApprovalDraft Draft(string digest = "sha256:1", int min = 1, string mode = ApprovalModes.Refuse, int ttlSeconds = 60) =>
        new(digest, new ApprovalTerms(min, [], TimeSpan.FromSeconds(ttlSeconds), mode, TimeSpan.FromSeconds(5)), new ApprovalContext
        {
            SpiffeId = "spiffe://td/agent/a",
            TaskId = "t-1",
            Tool = "github",
            Method = "DELETE",
            Path = "/repos/x",
            Query = string.Empty,
            BodySha256 = ApprovalDigest.BodyHash([]),
            BodyPreview = new ApprovalBodyPreview("empty", null, false),
        });

    private ApprovalVote Vote(string by, bool approve = true) => new(by, null, approve, null, _time.GetUtcNow());

    [Fact]
    public async Task Approved_IsConsumedExactlyOnce_AndOnlyWithItsDigest()
    {
        var store = Store();
        var changes = new List<string>();
        store.Changed += c => changes.Add(c.Event);
        var record = await store.CreateAsync(Draft(), default);
        Assert.Equal(ApprovalStates.Pending, record.State);
        Assert.True(InMemoryApprovalStore.IsWellFormedId(record.Id));
        Assert.Equal(ApprovalConsumeStatus.Pending, (await store.ConsumeAsync(record.Id, "sha256:1", default)).Status);

        Assert.Equal(ApprovalVoteStatus.Recorded, (await store.VoteAsync(record.Id, Vote("spiffe://td/ops/a"), default)).Status);

        Assert.Equal(ApprovalConsumeStatus.Mismatch, (await store.ConsumeAsync(record.Id, "sha256:2", default)).Status);
        Assert.Equal(ApprovalConsumeStatus.Mismatch, (await store.ConsumeAsync("apr_" + new string('0', 32), "sha256:1", default)).Status);
        var consumed = await store.ConsumeAsync(record.Id, "sha256:1", default);
        Assert.Equal(ApprovalConsumeStatus.Consumed, consumed.Status);
        Assert.Equal(["spiffe://td/ops/a"], consumed.Record!.ApprovedBy);
        Assert.Equal(ApprovalConsumeStatus.Used, (await store.ConsumeAsync(record.Id, "sha256:1", default)).Status);
        Assert.Equal(["approval_requested", "approval_decided", "approval_consumed"], changes);
    }

    [Fact]
    public async Task ConcurrentConsumption_SucceedsOnce()
    {
        var store = Store();
        var record = await store.CreateAsync(Draft(), default);
        await store.VoteAsync(record.Id, Vote("spiffe://td/ops/a"), default);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () => await store.ConsumeAsync(record.Id, "sha256:1", default))));

        Assert.Equal(1, results.Count(r => r.Status == ApprovalConsumeStatus.Consumed));
        Assert.Equal(15, results.Count(r => r.Status == ApprovalConsumeStatus.Used));
    }

    [Fact]
    public async Task Threshold_CountsDistinctApprovers_AndAnyDenialDenies()
    {
        var store = Store();
        var two = await store.CreateAsync(Draft("sha256:2", min: 2), default);
        Assert.Equal(ApprovalStates.Pending, (await store.VoteAsync(two.Id, Vote("spiffe://td/ops/a"), default)).Record!.State);
        Assert.Equal(ApprovalVoteStatus.AlreadyVoted, (await store.VoteAsync(two.Id, Vote("spiffe://td/ops/a"), default)).Status);
        Assert.Equal(ApprovalStates.Approved, (await store.VoteAsync(two.Id, Vote("spiffe://td/ops/b"), default)).Record!.State);
        Assert.Equal(ApprovalVoteStatus.AlreadyDecided, (await store.VoteAsync(two.Id, Vote("spiffe://td/ops/c", approve: false), default)).Status);

        var denied = await store.CreateAsync(Draft("sha256:3", min: 2), default);
        await store.VoteAsync(denied.Id, Vote("spiffe://td/ops/a"), default);
        Assert.Equal(ApprovalStates.Denied, (await store.VoteAsync(denied.Id, Vote("spiffe://td/ops/b", approve: false), default)).Record!.State);
        Assert.Equal(ApprovalConsumeStatus.Denied, (await store.ConsumeAsync(denied.Id, "sha256:3", default)).Status);
    }

    [Fact]
    public async Task Expiry_AppliesToPendingAndToApprovedUnused_OnAccess()
    {
        var store = Store();
        var pending = await store.CreateAsync(Draft("sha256:p"), default);
        var approved = await store.CreateAsync(Draft("sha256:a"), default);
        await store.VoteAsync(approved.Id, Vote("spiffe://td/ops/a"), default);
        Assert.Equal(1, store.PendingCount);

        _time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(ApprovalVoteStatus.Expired, (await store.VoteAsync(pending.Id, Vote("spiffe://td/ops/a"), default)).Status);
        Assert.Equal(ApprovalConsumeStatus.Expired, (await store.ConsumeAsync(approved.Id, "sha256:a", default)).Status);
        Assert.Equal(0, store.PendingCount);
        Assert.Equal(2, (await store.ListAsync(pending: false, default)).Count);
    }

    [Fact]
    public async Task RefuseMode_ReusesThePendingApprovalOfTheSameRequest_HoldModeDoesNot()
    {
        var store = Store();
        var first = await store.CreateAsync(Draft(), default);
        Assert.Equal(first.Id, (await store.CreateAsync(Draft(), default)).Id);
        Assert.NotEqual(first.Id, (await store.CreateAsync(Draft("sha256:other"), default)).Id);
        var held = await store.CreateAsync(Draft("sha256:h", mode: ApprovalModes.Hold), default);
        Assert.NotEqual(held.Id, (await store.CreateAsync(Draft("sha256:h", mode: ApprovalModes.Hold), default)).Id);
    }

    [Fact]
    public async Task Capacity_IsBounded()
    {
        var store = Store(maxPending: 1);
        await store.CreateAsync(Draft("sha256:1"), default);
        await Assert.ThrowsAsync<ApprovalCapacityException>(async () => await store.CreateAsync(Draft("sha256:2"), default));
    }

    [Fact]
    public async Task Wait_ReturnsOnDecision_OrThePendingRecordAtTimeout_AndCancelEndsOpenOnes()
    {
        var store = Store();
        var record = await store.CreateAsync(Draft(mode: ApprovalModes.Hold), default);
        var waiting = store.WaitAsync(record.Id, TimeSpan.FromMinutes(5), default);
        await store.VoteAsync(record.Id, Vote("spiffe://td/ops/a", approve: false), default);
        Assert.Equal(ApprovalStates.Denied, (await waiting)!.State);

        var other = await store.CreateAsync(Draft("sha256:o", mode: ApprovalModes.Hold), default);
        Assert.Equal(ApprovalStates.Pending, (await store.WaitAsync(other.Id, TimeSpan.FromMilliseconds(1), default))!.State);
        Assert.Equal(ApprovalStates.Withdrawn, (await store.EndPendingAsync(other.Id, ApprovalStates.Withdrawn, default))!.State);
        Assert.Null(await store.EndPendingAsync(other.Id, ApprovalStates.Expired, default));

        var open = await store.CreateAsync(Draft("sha256:c"), default);
        Assert.Equal(1, await store.CancelAsync(r => r.Context.TaskId == "t-1", "rev_1", default));
        var cancelled = await store.GetAsync(open.Id, default);
        Assert.Equal((ApprovalStates.Cancelled, "rev_1"), (cancelled!.State, cancelled.EndReason));
    }
}

public sealed class ApprovalDecisionTests
{
    [Fact]
    public void ApprovalObject_IsParsed()
    {
        Assert.True(DecisionDocument.TryParse(RegoJson.Parse("""
            {"allowed": false, "require_approval": true,
             "approval": {"min_approvals": 2, "approver_roles": ["finance"], "ttl_seconds": 60, "mode": "hold", "hold_seconds": 30}}
            """), out var decision, out var error), error);
        var approval = decision.Approval!;
        Assert.Equal((2, 60, "hold", 30), (approval.MinApprovals, approval.TtlSeconds, approval.Mode, approval.HoldSeconds));
        Assert.Equal(["finance"], approval.ApproverRoles);
        var terms = new ApprovalRequirement { MinApprovals = 3 }.Resolve(new ApprovalOptions());
        Assert.Equal((3, TimeSpan.FromMinutes(15), "refuse", TimeSpan.FromSeconds(120)), (terms.MinApprovals, terms.Ttl, terms.Mode, terms.HoldTimeout));
    }

    [Theory]
    [InlineData("""{"min_approvals": 0}""", "min_approvals")]
    [InlineData("""{"min_approvals": "2"}""", "min_approvals")]
    [InlineData("""{"approver_roles": "finance"}""", "approver_roles")]
    [InlineData("""{"approver_roles": ["Finance Team"]}""", "approver_roles")]
    [InlineData("""{"ttl_seconds": -1}""", "ttl_seconds")]
    [InlineData("""{"mode": "wait"}""", "mode")]
    [InlineData("""{"hold_seconds": 7200}""", "hold_seconds")]
    [InlineData("""{"approvers": 2}""", "unknown member")]
    [InlineData("""[1]""", "decision.approval must be an object")]
    public void MalformedApproval_InvalidatesTheDecision(string approval, string named)
    {
        Assert.False(DecisionDocument.TryParse(RegoJson.Parse($$"""{"allowed": false, "require_approval": true, "approval": {{approval}}}"""), out _, out var error));
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void InputApproval_IsIdApprovedByAndApprovedAt()
    {
        var at = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var input = PolicyInputBuilder.Build(new PolicyRequest
        {
            SpiffeId = "spiffe://td/agent/a", CertificateFingerprint = "sha256:00", ToolId = "t", ToolLabels = new Dictionary<string, string>(),
            Method = "DELETE", Path = "/x", Query = string.Empty, Host = "h", Scheme = "https", Headers = new Dictionary<string, string>(),
            Time = at, Approval = new ApprovalGrant("apr_1", ["spiffe://td/ops/a", "spiffe://td/ops/b"], at),
        });
        var approval = (RegoObject)input["approval"]!;
        Assert.Equal(new RegoString("apr_1"), approval["id"]);
        Assert.Equal(new RegoString("2026-11-25T12:00:00Z"), approval["approved_at"]);
        Assert.Equal(2, ((RegoArray)approval["approved_by"]!).Items.Length);
    }

    [Fact]
    public void Options_AreValidated_NamingEachKey()
    {
        var result = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions
        {
            MinApprovals = 0, Ttl = TimeSpan.Zero, Mode = "wait", HoldTimeout = TimeSpan.Zero, MaxBodyBytes = -1,
            ConsoleUrl = new Uri("ftp://x/"), RedactFields = [" "], RetryAfterSeconds = 0, RequesterClaim = "", MaxPending = 0,
            DecidedRetention = TimeSpan.FromSeconds(-1),
        });
        Assert.True(result.Failed);
        foreach (var key in new[] { "MinApprovals", "Ttl", "Mode", "HoldTimeout", "MaxBodyBytes", "ConsoleUrl", "RedactFields:0", "RetryAfterSeconds", "RequesterClaim", "MaxPending", "DecidedRetention" })
        {
            Assert.Contains(result.Failures, f => f.StartsWith("Sidecar:Approvals:" + key, StringComparison.Ordinal));
        }

        Assert.True(new ApprovalOptionsValidator().Validate(null, new ApprovalOptions()).Succeeded);
    }

    [Fact]
    public void RedisAndWebhookOptions_AreValidated_WithoutRepeatingSecrets()
    {
        var result = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions
        {
            Redis = "127.0.0.1:6379,password=pw-CANARY-1,nonsense=1",
            Webhook = new ApprovalWebhookOptions
            {
                Url = new Uri("https://user:pw-CANARY-2@hooks.example/x?token=CANARY-3"),
                SecretPath = "/nonexistent/webhook-secret",
                Timeout = TimeSpan.Zero,
                MaxAttempts = 11,
                RetryDelay = TimeSpan.FromMinutes(2),
                QueueCapacity = 0,
            },
        });
        Assert.True(result.Failed);
        foreach (var key in new[] { "Redis", "Webhook:Url", "Webhook:SecretPath", "Webhook:Timeout", "Webhook:MaxAttempts", "Webhook:RetryDelay", "Webhook:QueueCapacity" })
        {
            Assert.Contains(result.Failures, f => f.StartsWith("Sidecar:Approvals:" + key, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(result.Failures, f => f.Contains("CANARY", StringComparison.Ordinal));
        var unsigned = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions { Webhook = new ApprovalWebhookOptions { Url = new Uri("https://hooks.example/x") } });
        Assert.Contains(unsigned.Failures!, f => f.StartsWith("Sidecar:Approvals:Webhook:SecretPath is required", StringComparison.Ordinal));
    }
}

public sealed class ApprovalPreviewTests
{
    private static readonly IReadOnlyList<string> Fields = ApprovalOptions.DefaultRedactFields;

    [Fact]
    public void Json_RedactsNamedMembersAtAnyDepth()
    {
        var preview = ApprovalPreview.Build(Encoding.UTF8.GetBytes("""{"amount": 5, "Password": "hunter2", "nested": [{"api_key": "k-CANARY"}]}"""), "application/json; charset=utf-8", Fields);
        Assert.Equal("json", preview.Kind);
        Assert.DoesNotContain("hunter2", preview.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", preview.Text, StringComparison.Ordinal);
        Assert.Contains("\"amount\":5", preview.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Form_Query_Text_Binary_AndTruncation()
    {
        Assert.DoesNotContain("hunter2", ApprovalPreview.Build("user=a&password=hunter2"u8, "application/x-www-form-urlencoded", Fields).Text, StringComparison.Ordinal);
        Assert.Equal("?a=1&token=%5Bredacted%5D", ApprovalPreview.RedactQuery("?a=1&token=abc", Fields));
        Assert.Equal("withheld", ApprovalPreview.Build([0xff, 0x00, 0x01], "application/octet-stream", Fields).Kind);
        Assert.Equal("withheld", ApprovalPreview.Build("{\"password\": "u8, "application/json", Fields).Kind);
        var text = ApprovalPreview.Build(Encoding.UTF8.GetBytes(new string('é', 5000)), "text/plain", Fields);
        Assert.True(text.Truncated);
        Assert.True(Encoding.UTF8.GetByteCount(text.Text!) <= ApprovalPreview.MaxBytes);
    }
}
