using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SidecarProxy.Approvals;
using SidecarProxy.TestSupport;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>
/// Issue 13, the webhook: approval.requested and approval.decided events POSTed to a WireMock stand-in for the
/// approvers' chat or ticket system, signed with HMAC-SHA256; retries, failures counted, and no secret anywhere.
/// </summary>
public sealed class ApprovalWebhookTests : IDisposable
{
    private const string Secret = "whsec-CANARY-5f1c9e0b7a2d44e1";
    private const string HookPath = "/hooks/CANARY-url-token-91ab";

    private readonly WireMockServer _hook = WireMockServer.Start();
    private readonly TempDirectory _files = new();

    [Fact]
    public async Task RequestedAndDecided_ArePostedSigned_WithTheContext_AndNoSecret()
    {
        _hook.Given(Request.Create().WithPath(HookPath).UsingPost()).RespondWith(Response.Create().WithStatusCode(204));
        await using var bed = await StartAsync();
        using var agent = bed.Agent();

        var id = await ApprovalBed.AskAsync(agent, bed.Gated("hooked"));
        var requested = await EventAsync("approval.requested");
        await bed.ApproveAsync(ApprovalBed.Approver1, id);
        var decided = await EventAsync("approval.decided");

        foreach (var entry in new[] { requested, decided })
        {
            var body = entry.RequestMessage!.BodyAsBytes!;
            Assert.True(VerifiesWith(Secret, Header(entry, "X-Sidecar-Signature"), body), "the signature does not verify with the shared secret");
            Assert.False(VerifiesWith("another-secret-0123456789", Header(entry, "X-Sidecar-Signature"), body));
            Assert.StartsWith("evt_", Header(entry, "X-Sidecar-Delivery"), StringComparison.Ordinal);
            Assert.StartsWith("application/json", Header(entry, "Content-Type"), StringComparison.Ordinal);
            Assert.DoesNotContain("CANARY", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        }

        using var first = JsonDocument.Parse(requested.RequestMessage!.BodyAsBytes!);
        var approval = first.RootElement.GetProperty("approval");
        Assert.Equal("approval.requested", first.RootElement.GetProperty("type").GetString());
        Assert.Equal(
            (id, "pending", Credentials.CredentialBed.AgentId, "t-1", "plain", "DELETE", "/hooked", "deleting needs a human"),
            (approval.GetProperty("id").GetString(), approval.GetProperty("state").GetString(), approval.GetProperty("agent").GetString(),
             approval.GetProperty("task").GetString(), approval.GetProperty("tool").GetString(), approval.GetProperty("method").GetString(),
             approval.GetProperty("path").GetString(), approval.GetProperty("reason").GetString()));
        Assert.Equal(bed.Admin.AdminUrl.ToString().TrimEnd('/') + "/approvals/" + id, approval.GetProperty("approval_url").GetString());
        Assert.True(approval.TryGetProperty("expires_at", out _));
        Assert.False(first.RootElement.TryGetProperty("vote", out _));

        using var second = JsonDocument.Parse(decided.RequestMessage!.BodyAsBytes!);
        Assert.Equal("approved", second.RootElement.GetProperty("approval").GetProperty("state").GetString());
        Assert.Equal(ApprovalBed.Approver1, second.RootElement.GetProperty("vote").GetProperty("by").GetString());
        Assert.Equal("approve", second.RootElement.GetProperty("vote").GetProperty("vote").GetString());

        var metrics = await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl);
        Assert.Equal(2, metrics["sidecar_approval_webhook_deliveries_total"]);
        Assert.Equal(0, metrics.Sum("sidecar_approval_webhook_failures_total"));
    }

    [Fact]
    public async Task FailingWebhook_IsRetriedBoundedly_CountedAndLogged_WithoutSecrets_AndTheApprovalGoesOn()
    {
        _hook.Given(Request.Create().WithPath(HookPath).UsingPost()).RespondWith(Response.Create().WithStatusCode(503).WithBody("down"));
        await using var bed = await StartAsync(maxAttempts: 3);
        using var agent = bed.Agent();

        // The webhook fails, the approval does not: asked, approved, and used once.
        var id = await ApprovalBed.AskAsync(agent, bed.Gated("failing"));
        await bed.ApproveAsync(ApprovalBed.Approver1, id);
        using (var retry = await agent.SendAsync(bed.Gated("failing", approvalId: id)))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        // Two events, three attempts each, then given up: counted once per event.
        Assert.True(await Eventually.TrueAsync(async () =>
            (await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl))["sidecar_approval_webhook_failures_total{reason=\"status\"}"] == 2));
        Assert.Equal(6, _hook.LogEntries.Count);
        var deliveries = _hook.LogEntries.GroupBy(e => Header(e, "X-Sidecar-Delivery")).ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(3, d.Count()));
        Assert.All(_hook.LogEntries, e => Assert.True(VerifiesWith(Secret, Header(e, "X-Sidecar-Signature"), e.RequestMessage!.BodyAsBytes!)));

        var metrics = await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl);
        Assert.Equal(0, metrics["sidecar_approval_webhook_deliveries_total"]);
        var failures = bed.Bed.Logs.Lines.Where(l => l.Contains("[13032]", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, l => Assert.Contains("HTTP 503", l, StringComparison.Ordinal));
        Assert.Contains(bed.Bed.Logs.Lines, l => l.Contains("[13031]", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Bed.Logs.Lines, l => l.Contains("CANARY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WebhookFailingOnce_IsDeliveredOnTheRetry_WithTheSameDeliveryId()
    {
        _hook.Given(Request.Create().WithPath(HookPath).UsingPost()).InScenario("flaky").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(500));
        _hook.Given(Request.Create().WithPath(HookPath).UsingPost()).InScenario("flaky").WhenStateIs("up")
            .RespondWith(Response.Create().WithStatusCode(200));
        await using var bed = await StartAsync(maxAttempts: 2);
        using var agent = bed.Agent();

        await ApprovalBed.AskAsync(agent, bed.Gated("flaky"));

        Assert.True(await Eventually.TrueAsync(async () =>
            (await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl))["sidecar_approval_webhook_deliveries_total"] == 1));
        Assert.Equal(2, _hook.LogEntries.Count);
        Assert.Single(_hook.LogEntries.Select(e => Header(e, "X-Sidecar-Delivery")).Distinct());
        Assert.Equal(0, (await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl)).Sum("sidecar_approval_webhook_failures_total"));
    }

    [Fact]
    public async Task SlowWebhook_TimesOut_AndIsCountedAsTimeout()
    {
        _hook.Given(Request.Create().WithPath(HookPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromSeconds(3)));
        await using var bed = await StartAsync(maxAttempts: 1, timeout: "00:00:00.200");
        using var agent = bed.Agent();

        await ApprovalBed.AskAsync(agent, bed.Gated("slow"));

        Assert.True(await Eventually.TrueAsync(async () =>
            (await MetricsScrape.FromAsync(bed.Bed.Proxy.OperationsUrl))["sidecar_approval_webhook_failures_total{reason=\"timeout\"}"] == 1));
        Assert.DoesNotContain(bed.Bed.Logs.Lines, l => l.Contains("CANARY", StringComparison.Ordinal));
    }

    [Fact]
    public void Signature_IsTheDocumentedHmac_AndOldTimestampsAreRefused()
    {
        var body = """{"type":"approval.requested"}"""u8.ToArray();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var header = ApprovalWebhookSignature.Sign(Secret, at, body);

        Assert.True(VerifiesWith(Secret, header, body));
        Assert.True(ApprovalWebhookSignature.Verify(Secret, header, body, at.AddSeconds(30), TimeSpan.FromMinutes(5)));
        Assert.False(ApprovalWebhookSignature.Verify(Secret, header, body, at.AddMinutes(10), TimeSpan.FromMinutes(5)));
        Assert.False(ApprovalWebhookSignature.Verify(Secret, header, [.. body, (byte)' '], at, TimeSpan.FromMinutes(5)));
        Assert.False(ApprovalWebhookSignature.Verify(Secret, "v1=00", body, at, TimeSpan.FromMinutes(5)));
    }

    public void Dispose()
    {
        _hook.Stop();
        _hook.Dispose();
        _files.Dispose();
    }

    private Task<ApprovalBed> StartAsync(int maxAttempts = 3, string timeout = "00:00:05")
    {
        var secretPath = _files.Write("webhook.secret", Secret + "\n");
        return ApprovalBed.StartAsync(configure: settings =>
        {
            settings["Sidecar:Approvals:Webhook:Url"] = _hook.Url + HookPath + "?token=CANARY-query-77";
            settings["Sidecar:Approvals:Webhook:SecretPath"] = secretPath;
            settings["Sidecar:Approvals:Webhook:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings["Sidecar:Approvals:Webhook:Timeout"] = timeout;

            // The bed's clock is manual: no backoff wait, so a retry follows at once.
            settings["Sidecar:Approvals:Webhook:RetryDelay"] = "00:00:00";
        });
    }

    private async Task<ILogEntry> EventAsync(string type)
    {
        ILogEntry? found = null;
        Assert.True(await Eventually.TrueAsync(() =>
        {
            found = _hook.LogEntries.FirstOrDefault(e => Header(e, "X-Sidecar-Event") == type);
            return found is not null;
        }), $"no {type} event arrived");
        return found!;
    }

    private static string Header(ILogEntry entry, string name) =>
        entry.RequestMessage!.Headers!.First(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value.ToString();

    // The documented format, computed independently of the sidecar's code: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>." + body)).
    private static bool VerifiesWith(string secret, string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var signed = Encoding.ASCII.GetBytes(parts["t"] + ".").Concat(body).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return expected == parts["v1"];
    }
}
