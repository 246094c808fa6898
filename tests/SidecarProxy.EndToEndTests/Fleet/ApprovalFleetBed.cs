using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.EndToEndTests.Infrastructure;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.EndToEndTests.Fleet;

/// <summary>
/// One real redis-server and sidecars (in-process, real mTLS, the admin listener) sharing it as their approval store
/// (<c>Sidecar:Approvals:Redis</c>). Each sidecar's policy asks for an approval of every DELETE (in hold mode under
/// <c>/hold/</c>, else refuse mode) and allows it once <c>input.approval</c> names an approver. The revocations stay
/// local: a revoke at one sidecar cancels the approvals it covers in Redis, for every sidecar.
/// </summary>
internal sealed class ApprovalFleetBed : IAsyncDisposable
{
    public const string TrustDomain = "sidecar.dev";
    public const string Agent = "spiffe://sidecar.dev/agent/demo";
    public const string Approver = "spiffe://sidecar.dev/ops/approver";

    private readonly List<TestProxy> _sidecars = [];
    private readonly TestCa _root;
    private readonly IdentityDirectory _identity;

    private ApprovalFleetBed(RedisServer redis, TestCa root, IdentityDirectory identity, RecordingUpstream upstream)
    {
        Redis = redis;
        _root = root;
        _identity = identity;
        Upstream = upstream;
    }

    public RedisServer Redis { get; }

    public RecordingUpstream Upstream { get; }

    public static async Task<ApprovalFleetBed> StartAsync()
    {
        var redis = await RedisServer.StartAsync();
        var root = TestCa.CreateRoot(TrustDomain);
        var identity = new IdentityDirectory();
        identity.WriteBundle(TrustDomain, root);
        return new ApprovalFleetBed(redis, root, identity, await RecordingUpstream.StartAsync());
    }

    public async Task<TestProxy> StartSidecarAsync()
    {
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in _identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        TestProxy.AddPathTool(settings, "demo", Upstream.Url);
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Admin:Principals:0:Id"] = Approver;
        settings["Sidecar:Admin:Principals:0:Roles:0"] = "approve";
        settings["Sidecar:Admin:Principals:0:Roles:1"] = "revoke";
        settings["Sidecar:Approvals:Redis"] = Redis.ConnectionString;
        var policy = new TestPolicyDecisionPoint(Decide);
        var proxy = await TestProxy.StartAsync(_identity, settings, services => services.AddSingletonPdp(policy));
        _sidecars.Add(proxy);
        return proxy;
    }

    private static PolicyDecision Decide(PolicyRequest request) =>
        request.Method != "DELETE" || request.Approval is { ApprovedBy.Count: > 0 }
            ? PolicyDecision.Allow("allowed")
            : new PolicyDecision
            {
                Allowed = false,
                RequireApproval = true,
                Reason = "deleting needs a human",
                Approval = new ApprovalRequirement
                {
                    Mode = request.Path.Contains("/hold/", StringComparison.Ordinal) ? ApprovalModes.Hold : ApprovalModes.Refuse,
                    HoldSeconds = 60,
                },
            };

    public HttpClient AgentClient(TestProxy proxy) => proxy.CreateClient(_root.IssueSvid(Agent));

    public HttpClient Admin(TestProxy proxy) =>
        TestProxy.CreateAgentClient(proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin), _root.IssueSvid(Approver), null, _identity.ServerCa.Certificate, out _);

    /// <summary>DELETE /tools/demo{path}, with an approval id when given: the status and the problem (code and body) if any.</summary>
    public async Task<(int Status, string? Code, JsonElement Body)> DeleteAsync(TestProxy proxy, string path, string? approvalId = null)
    {
        using var client = AgentClient(proxy);
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri("/tools/demo" + path, UriKind.Relative));
        if (approvalId is not null)
        {
            request.Headers.Add("X-Approval-Id", approvalId);
        }

        using var response = await client.SendAsync(request);
        var (status, body) = await ReadJsonAsync(response);
        return (status, status is >= 200 and < 300 ? null : body.GetProperty("code").GetString(), body);
    }

    public async Task<(int Status, JsonElement Body)> DecideAsync(TestProxy proxy, string id, bool approve)
    {
        using var admin = Admin(proxy);
        using var response = await admin.PostAsync(
            new Uri($"/admin/approvals/{id}/{(approve ? "approve" : "deny")}", UriKind.Relative),
            new StringContent("""{"comment": "fleet test"}""", Encoding.UTF8, "application/json"));
        return await ReadJsonAsync(response);
    }

    public async Task<(int Status, JsonElement Body)> GetAsync(TestProxy proxy, string path)
    {
        using var admin = Admin(proxy);
        using var response = await admin.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadJsonAsync(response);
    }

    /// <summary>The id of the pending approval whose path contains <paramref name="marker"/>, as <paramref name="proxy"/>'s API lists it; null if none.</summary>
    public async Task<string?> PendingIdAsync(TestProxy proxy, string marker)
    {
        var (status, body) = await GetAsync(proxy, "/admin/approvals?state=pending");
        return status != 200 ? null : body.GetProperty("approvals").EnumerateArray()
            .Where(a => a.GetProperty("path").GetString()!.Contains(marker, StringComparison.Ordinal))
            .Select(a => a.GetProperty("id").GetString())
            .FirstOrDefault();
    }

    public async Task<JsonElement> RevokeAgentAsync(TestProxy proxy)
    {
        using var admin = Admin(proxy);
        var json = JsonSerializer.Serialize(new { subject = new { kind = "spiffe_id", value = Agent }, action = "revoke", reason = "fleet approvals test" });
        using var response = await admin.PostAsync(new Uri("/admin/revocations", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var (status, body) = await ReadJsonAsync(response);
        Assert.True(status == 201, body.GetRawText());
        return body;
    }

    public int ForwardedCount(string marker) => Upstream.Requests.Count(r => r.Path.Contains(marker, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _sidecars)
        {
            await proxy.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await Upstream.DisposeAsync();
        _identity.Dispose();
        _root.Dispose();
    }

    private static async Task<(int Status, JsonElement Body)> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
