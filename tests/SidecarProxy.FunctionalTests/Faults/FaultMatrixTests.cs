using System.Net;
using System.Text.Json;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Faults;

/// <summary>
/// The fault matrix of docs/fault-matrix.md, request-time part: each row breaks one dependency of a request (the OPA
/// server, the token endpoint or STS, the tool, the task grant's clock) on a fresh sidecar over real mTLS and asserts
/// the four things a fault must never cost: the documented problem code, the metric that counts it, nothing
/// forwarded (the tool saw no request) and nothing lost (exactly one audit line, verdict <c>error</c> or <c>deny</c>
/// with the code as its reason). Start-up and reload faults are in <see cref="StartupFaultTests"/>.
/// </summary>
public sealed class FaultMatrixTests
{
    /// <summary>A request-time fault: how to cause it, where to send the request, and what the sidecar must answer.</summary>
    /// <param name="Tool">The tool the request goes to.</param>
    /// <param name="Status">The documented status.</param>
    /// <param name="Code">The documented problem code (and audit reason, and denials_total reason).</param>
    /// <param name="Verdict">The audit decision and the request metric's decision label.</param>
    /// <param name="Detail">An extension member and its value the problem must carry, or null.</param>
    /// <param name="Counter">The fault-specific counter, which must have moved by exactly one.</param>
    private sealed record Fault(
        Func<FaultBed, string, Task<string?>> Arrange,
        string Tool,
        int Status,
        string Code,
        string Verdict,
        (string Member, string Value)? Detail,
        Func<SidecarMetrics, double> Counter);

    private static double PolicyEvalErrors(SidecarMetrics m, string code) => m.PolicyEvalErrors.WithLabels(code).Value;

    private static double CredentialFailures(SidecarMetrics m, string provider) => m.CredentialFailures.WithLabels(provider).Value;

    private static double Denials(SidecarMetrics m, string code) => m.Denials.WithLabels(code).Value;

    private static Func<FaultBed, string, Task<string?>> Do(Action<FaultBed> arrange) => (bed, _) =>
    {
        arrange(bed);
        return Task.FromResult<string?>(null);
    };

    private static Func<FaultBed, string, Task<string?>> Grant(Func<DateTimeOffset, (DateTimeOffset Expires, DateTimeOffset? NotBefore)> times) =>
        (bed, marker) =>
        {
            var (expires, notBefore) = times(DateTimeOffset.UtcNow);
            return Task.FromResult<string?>(bed.Orchestrator.Sign(FaultBed.AgentId, "task-" + marker, expires, notBefore: notBefore));
        };

    private static readonly Dictionary<string, Fault> Faults = new()
    {
        ["opa down"] = new(Do(b => b.Opa.Stop()), "demo", 503, "policy_unavailable", "error", null,
            m => PolicyEvalErrors(m, "engine_unavailable")),
        ["opa slow (past Sidecar:Policy:Timeout)"] = new(Do(b => b.OpaReplies(200, "{\"result\": true}", TimeSpan.FromSeconds(4))),
            "demo", 503, "policy_unavailable", "error", null, m => PolicyEvalErrors(m, "engine_unavailable")),
        ["opa garbage"] = new(Do(b => b.OpaReplies(200, "this is not json")), "demo", 503, "policy_unavailable", "error", null,
            m => PolicyEvalErrors(m, "engine_unavailable")),
        ["opa 500"] = new(Do(b => b.OpaReplies(500, "{\"code\": \"internal_error\"}")), "demo", 503, "policy_unavailable", "error", null,
            m => PolicyEvalErrors(m, "engine_unavailable")),
        ["token endpoint down"] = new(Do(b => b.Tokens.Stop()), "cc", 503, "credential_unavailable", "error",
            ("credential_error", "credential_unreachable"), m => CredentialFailures(m, "cc")),
        ["token endpoint slow (past the provider's Timeout)"] = new(
            Do(b => b.TokenReplies(FaultBed.CcPath, 200, FaultBed.Token("late-token", 300), TimeSpan.FromSeconds(4))),
            "cc", 503, "credential_unavailable", "error", ("credential_error", "credential_timeout"), m => CredentialFailures(m, "cc")),
        ["token endpoint garbage"] = new(Do(b => b.TokenReplies(FaultBed.CcPath, 200, "<html>not json")),
            "cc", 502, "credential_unavailable", "error", ("credential_error", "credential_upstream_invalid"), m => CredentialFailures(m, "cc")),
        ["token endpoint 500"] = new(Do(b => b.TokenReplies(FaultBed.CcPath, 500, "{\"error\":\"server_error\"}")),
            "cc", 502, "credential_unavailable", "error", ("credential_error", "credential_upstream_rejected"), m => CredentialFailures(m, "cc")),
        ["token endpoint: expired token (expires_in 0)"] = new(Do(b => b.TokenReplies(FaultBed.CcPath, 200, FaultBed.Token("expired-token", 0))),
            "cc", 502, "credential_unavailable", "error", ("credential_error", "credential_upstream_invalid"), m => CredentialFailures(m, "cc")),
        ["token endpoint: expired JWT (exp in the past)"] = new(
            Do(b => b.TokenReplies(FaultBed.CcPath, 200, FaultBed.Token(UnsignedJwt(aud: "cc", expiresIn: -600), 300))),
            "cc", 502, "credential_unavailable", "error", ("credential_error", "credential_upstream_invalid"), m => CredentialFailures(m, "cc")),
        ["STS: wrong-audience JWT"] = new(
            Do(b => b.TokenReplies(FaultBed.StsPath, 200, FaultBed.Token(UnsignedJwt(aud: "https://elsewhere.example", expiresIn: 300), 300))),
            "tx", 502, "credential_unavailable", "error", ("credential_error", "credential_upstream_invalid"), m => CredentialFailures(m, "tx")),
        ["task grant expired beyond the clock skew (60 s, skew 30 s)"] = new(Grant(now => (now.AddSeconds(-60), null)),
            "demo", 401, "task_grant_invalid", "deny", ("grant_error", "task_grant_expired"), m => Denials(m, "task_grant_invalid")),
        ["task grant not yet valid beyond the clock skew (nbf +60 s)"] = new(Grant(now => (now.AddMinutes(10), now.AddSeconds(60))),
            "demo", 401, "task_grant_invalid", "deny", ("grant_error", "task_grant_not_yet_valid"), m => Denials(m, "task_grant_invalid")),
    };

    public static TheoryData<string> Names => [.. Faults.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task RequestTimeFault_IsCodedCountedNotForwardedAndAudited(string name)
    {
        var fault = Faults[name];
        await using var bed = await FaultBed.StartAsync();
        var marker = Guid.NewGuid().ToString("N")[..12];
        var metrics = bed.Metrics;
        var counterBefore = fault.Counter(metrics);
        var grant = await fault.Arrange(bed, marker);

        using var response = await bed.SendAsync(fault.Tool, marker, grant);

        // The documented code.
        var problem = await Problem.ReadAsync(response);
        Assert.True((fault.Status, fault.Code) == (problem.Status, problem.Code), $"{name}: {problem.Body}");
        if (fault.Detail is var (member, value))
        {
            Assert.Equal(value, problem.Body.GetProperty(member).GetString());
        }

        // Counted: the fault's own counter, the denial by code, the request by verdict and status.
        Assert.Equal(counterBefore + 1, fault.Counter(metrics));
        Assert.Equal(1, metrics.Denials.WithLabels(fault.Code).Value);
        Assert.True(await RequestCountedAsync(metrics, fault.Tool, fault.Verdict, fault.Status), "sidecar_requests_total");

        // Nothing forwarded.
        Assert.Empty(bed.Bed.Upstream.Requests);

        // Nothing lost: one audit line, saying what happened.
        var line = Assert.Single(await bed.AuditLinesAsync(1));
        Assert.Equal(
            (fault.Tool, $"/tools/{fault.Tool}/{marker}", fault.Verdict, fault.Code, fault.Status),
            (Str(line, "tool"), Str(line, "path"), Str(line, "decision"), Str(line, "reason"), line.GetProperty("status").GetInt32()));
    }

    public static TheoryData<string, int> GrantsInsideTheSkew => new()
    {
        { "expired 10 s ago", -10 },
        { "valid from 10 s from now", 10 },
    };

    /// <summary>The other side of the clock-skew rows: inside <c>Sidecar:TaskGrants:ClockSkew</c> (30 s) a grant is accepted.</summary>
    [Theory]
    [MemberData(nameof(GrantsInsideTheSkew))]
    public async Task TaskGrantInsideTheClockSkew_IsAcceptedForwardedAndAudited(string scenario, int offsetSeconds)
    {
        await using var bed = await FaultBed.StartAsync();
        var marker = Guid.NewGuid().ToString("N")[..12];
        var now = DateTimeOffset.UtcNow;
        var grant = offsetSeconds < 0
            ? bed.Orchestrator.Sign(FaultBed.AgentId, "task-" + marker, now.AddSeconds(offsetSeconds))
            : bed.Orchestrator.Sign(FaultBed.AgentId, "task-" + marker, now.AddMinutes(10), notBefore: now.AddSeconds(offsetSeconds));

        using var response = await bed.SendAsync("demo", marker, grant);

        Assert.True(response.StatusCode == HttpStatusCode.OK, scenario);
        Assert.Equal($"/{marker}", Assert.Single(bed.Bed.Upstream.Requests).Path);
        Assert.True(await RequestCountedAsync(bed.Metrics, "demo", "allow", 200), "sidecar_requests_total");
        var line = Assert.Single(await bed.AuditLinesAsync(1));
        Assert.Equal(("allow", "task-" + marker), (Str(line, "decision"), Str(line, "task_id")));
    }

    public static TheoryData<string, int, string> UpstreamFaults => new()
    {
        { nameof(UpstreamFault.Silent), 504, "upstream_timeout" },
        { nameof(UpstreamFault.OversizedHeaders), 502, "upstream_unavailable" },
    };

    /// <summary>
    /// The tool fails after the policy allowed the request: the request did reach it (that was allowed), but the agent
    /// gets the sidecar's problem document, not an empty 502/504, and the request is counted and audited as an error.
    /// </summary>
    [Theory]
    [MemberData(nameof(UpstreamFaults))]
    public async Task UpstreamFault_IsCodedCountedAndAudited(string faultName, int status, string code)
    {
        await using var bed = await FaultBed.StartAsync(Enum.Parse<UpstreamFault>(faultName));
        var marker = Guid.NewGuid().ToString("N")[..12];

        using var response = await bed.SendAsync("faulty", marker);

        var problem = await Problem.ReadAsync(response);
        Assert.Equal((status, code), (problem.Status, problem.Code));
        Assert.DoesNotContain("hhhhhhhh", problem.Body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(1, bed.Faulty.Requests);
        Assert.Equal(1, bed.Metrics.Denials.WithLabels(code).Value);
        Assert.True(await RequestCountedAsync(bed.Metrics, "faulty", "error", status), "sidecar_requests_total");
        var line = Assert.Single(await bed.AuditLinesAsync(1));
        Assert.Equal(("error", code, status), (Str(line, "decision"), Str(line, "reason"), line.GetProperty("status").GetInt32()));
    }

    /// <summary>
    /// The tool sends headers and part of the body, then resets: the response has started, so no problem document can
    /// follow; the agent's connection is aborted (it cannot take the truncated body for a complete one), and the
    /// request is counted and audited as an error with the status that was started (200).
    /// </summary>
    [Fact]
    public async Task UpstreamResetMidResponse_AbortsTheAgentAndIsCountedAndAudited()
    {
        await using var bed = await FaultBed.StartAsync(UpstreamFault.ResetMidResponse);
        var marker = Guid.NewGuid().ToString("N")[..12];

        // The abort may reach the agent before or after the status line it was sent: either way, no complete answer.
        Assert.False(await CompleteResponseAsync(bed, marker), "the agent got a complete response");
        Assert.Equal(1, bed.Faulty.Requests);
        Assert.True(await Eventually.TrueAsync(() => bed.Metrics.Denials.WithLabels("upstream_unavailable").Value == 1));
        var line = Assert.Single(await bed.AuditLinesAsync(1));
        Assert.Equal(("error", "upstream_unavailable", 200), (Str(line, "decision"), Str(line, "reason"), line.GetProperty("status").GetInt32()));
        Assert.True(await RequestCountedAsync(bed.Metrics, "faulty", "error", 200), "sidecar_requests_total");
    }

    private static async Task<bool> CompleteResponseAsync(FaultBed bed, string marker)
    {
        try
        {
            using var response = await bed.SendAsync("faulty", marker);
            await response.Content.ReadAsByteArrayAsync();
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return false;
        }
    }

    // The request metric is counted when the pipeline unwinds, which may be just after the agent has its answer.
    private static Task<bool> RequestCountedAsync(SidecarMetrics metrics, string tool, string verdict, int status) =>
        Eventually.TrueAsync(() =>
            metrics.Requests.WithLabels(tool, verdict, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value == 1);

    private static string? Str(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A JWT-shaped access token (unsigned: the sidecar cannot verify a token meant for the tool, only read it).</summary>
    private static string UnsignedJwt(string aud, int expiresIn)
    {
        static string Segment(object value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        var now = DateTimeOffset.UtcNow;
        return Segment(new { alg = "ES256", typ = "JWT" }) + "."
            + Segment(new { iss = "https://issuer.example", aud, exp = now.AddSeconds(expiresIn).ToUnixTimeSeconds(), iat = now.AddSeconds(-900).ToUnixTimeSeconds() })
            + ".c2lnbmF0dXJl";
    }
}
