using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Approvals;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.FunctionalTests.Revocation;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>
/// An <see cref="AdminBed"/> (real sidecar over mTLS, admin listener) with approvers and a clock the test controls.
/// Approvers: <c>ops/approver-1</c>, <c>ops/approver-2</c>, <c>ops/bot</c> (role approve), <c>ops/finance-1</c>
/// (approve:finance), and the agent itself (approve, to show it still cannot approve its own request).
/// The test policy holds every non-GET on <c>plain</c> for approval until <c>input.approval</c> has enough approvers.
/// </summary>
internal sealed class ApprovalBed : IAsyncDisposable
{
    public const string Approver1 = "spiffe://agents.test/ops/approver-1";
    public const string Approver2 = "spiffe://agents.test/ops/approver-2";
    public const string Bot = "spiffe://agents.test/ops/bot";
    public const string Finance = "spiffe://agents.test/ops/finance-1";
    public const string Requester = "alice@example.com";

    private ApprovalBed(AdminBed admin, ManualTimeProvider time)
    {
        Admin = admin;
        Time = time;
    }

    public AdminBed Admin { get; }

    public CredentialBed Bed => Admin.Bed;

    public ManualTimeProvider Time { get; }

    public static async Task<ApprovalBed> StartAsync(ApprovalRequirement? requirement = null, Action<Dictionary<string, string?>>? configure = null)
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var admin = await AdminBed.StartAsync(
            configure: settings =>
            {
                settings["Sidecar:Admin:Principals:2:Id"] = "spiffe://agents.test/ops/approver-*";
                settings["Sidecar:Admin:Principals:2:Roles:0"] = "approve";
                settings["Sidecar:Admin:Principals:3:Id"] = "spiffe://agents.test/ops/finance-*";
                settings["Sidecar:Admin:Principals:3:Roles:0"] = "approve:finance";
                settings["Sidecar:Admin:Principals:4:Id"] = CredentialBed.AgentId;
                settings["Sidecar:Admin:Principals:4:Roles:0"] = "approve";
                settings["Sidecar:Admin:Principals:5:Id"] = Bot;
                settings["Sidecar:Admin:Principals:5:Roles:0"] = "approve";
                configure?.Invoke(settings);
            },
            extraServices: services => services.AddSingleton<TimeProvider>(time));
        var bed = new ApprovalBed(admin, time);
        bed.Require(requirement ?? new ApprovalRequirement());
        return bed;
    }

    /// <summary>Non-GET requests need an approval with these terms; with input.approval of enough approvers they are allowed.</summary>
    public void Require(ApprovalRequirement requirement) =>
        Bed.Policy.Decide = r =>
            r.Method == "GET" ? PolicyDecision.Allow("reads are free")
            : r.Approval is { } a && a.ApprovedBy.Count >= (requirement.MinApprovals ?? 1) ? PolicyDecision.Allow("approved by " + string.Join(",", a.ApprovedBy))
            : new PolicyDecision { Allowed = false, RequireApproval = true, Approval = requirement, Reason = "deleting needs a human" };

    public HttpClient Agent(string? id = null) => Bed.CreateAgentClient(id ?? CredentialBed.AgentId);

    /// <summary>A gated request: DELETE /tools/plain/{marker}{query} with a JSON body and a task grant.</summary>
    public HttpRequestMessage Gated(
        string marker, string body = """{"repo": "x", "password": "hunter2-CANARY"}""", string? approvalId = null, string method = "DELETE",
        string query = "?force=1", string task = "t-1", string agent = CredentialBed.AgentId)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri($"/tools/plain/{marker}{query}", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Task-Grant", Bed.Orchestrator.Sign(agent, task, DateTimeOffset.UtcNow.AddMinutes(30),
            claims: new Dictionary<string, object> { ["requested_by"] = Requester, ["purpose"] = "cleanup" }));
        request.Headers.Add("Authorization", "Bearer agent-secret-CANARY");
        if (approvalId is not null)
        {
            request.Headers.Add("X-Approval-Id", approvalId);
        }

        return request;
    }

    /// <summary>Sends a gated request that must be refused with approval_required; returns the approval id.</summary>
    public static async Task<string> AskAsync(HttpClient agent, HttpRequestMessage request)
    {
        using var response = await agent.SendAsync(request);
        var problem = await Problem.ReadAsync(response);
        Assert.Equal((403, "approval_required"), (problem.Status, problem.Code));
        return problem.Body.GetProperty("approval_id").GetString()!;
    }

    public HttpClient Approver(string id) => Admin.CreateAdminClient(id);

    /// <summary>
    /// A console browser presenting a fresh SVID of <paramref name="spiffeId"/> as its client certificate (none when
    /// null), sharing <paramref name="cookies"/> if given; <paramref name="issuer"/> when people can log in too.
    /// </summary>
    public ConsoleBrowser Browser(string? spiffeId, CookieContainer? cookies = null, TestOidcIssuer? issuer = null) =>
        new(this, issuer, spiffeId is null ? null : Bed.Root.IssueSvid(spiffeId), cookies);

    public async Task<HttpResponseMessage> DecideAsync(string approver, string id, bool approve, object? body = null)
    {
        using var client = Approver(approver);
        return await client.PostAsync(
            new Uri($"/admin/approvals/{id}/{(approve ? "approve" : "deny")}", UriKind.Relative),
            new StringContent(JsonSerializer.Serialize(body ?? new { comment = "looks fine" }), Encoding.UTF8, "application/json"));
    }

    public async Task ApproveAsync(string approver, string id)
    {
        using var response = await DecideAsync(approver, id, approve: true);
        Assert.True(200 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonElement> GetAsync(string id, string reader = AdminReader)
    {
        using var client = Approver(reader);
        using var response = await client.GetAsync(new Uri("/admin/approvals/" + id, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(200 == (int)response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public const string AdminReader = "spiffe://agents.test/ops/auditor";

    public async Task<JsonElement[]> ListAsync(string state)
    {
        using var client = Approver(AdminReader);
        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/admin/approvals?state=" + state, UriKind.Relative));
        return [.. body.GetProperty("approvals").EnumerateArray()];
    }

    /// <summary>The id of the single pending approval for <paramref name="marker"/>, once it exists.</summary>
    public async Task<string> PendingIdAsync(string marker)
    {
        string? id = null;
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            id = (await ListAsync("pending")).Select(a => a.GetProperty("path").GetString()!.Contains(marker, StringComparison.Ordinal) ? a.GetProperty("id").GetString() : null)
                .FirstOrDefault(x => x is not null);
            return id is not null;
        }));
        return id!;
    }

    public ValueTask DisposeAsync() => Admin.DisposeAsync();
}
