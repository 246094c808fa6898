using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// A run with known secret values through every credential kind, a failing token endpoint that echoes the
/// secret, a bad grant and a policy denial: no log line (every category, Trace), no audit line, no metric and
/// no response body holds any of them.
/// </summary>
public sealed class CanaryTests
{
    [Fact]
    public async Task SecretsNeverAppearInLogsAuditMetricsOrResponses()
    {
        await using var bed = await CredentialBed.StartAsync();
        const string CcToken = "cc-access-token-CANARY-a41f";
        const string StsToken = "sts-access-token-CANARY-9c2e";
        const string AgentAuthorization = "Bearer agent-own-token-CANARY-5d0b";
        bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).WithBody(b => b != null && b.Contains("fail", StringComparison.Ordinal)).UsingPost())
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"error\":\"invalid_client\",\"error_description\":\"secret {CredentialBed.ClientSecret} rejected, token {CcToken}\"}}"));
        bed.Tokens.Given(Request.Create().WithPath(CredentialBed.CcPath).UsingPost()).AtPriority(2)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"access_token\":\"{CcToken}\",\"token_type\":\"Bearer\",\"expires_in\":300}}"));
        bed.Tokens.Given(Request.Create().WithPath(CredentialBed.StsPath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($"{{\"access_token\":\"{StsToken}\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\",\"token_type\":\"Bearer\",\"expires_in\":300}}"));
        bed.Policy.Decide = r => r.Method == "DELETE"
            ? PolicyDecision.Deny("no deletes")
            : new PolicyDecision { Allowed = true, Reason = "ok", Scopes = r.Path.Contains("fail", StringComparison.Ordinal) ? ["fail"] : ["read"] };
        var grant = bed.Orchestrator.Sign(CredentialBed.AgentId, "task-canary", DateTimeOffset.UtcNow.AddMinutes(5));
        var expiredGrant = bed.Orchestrator.Sign(CredentialBed.AgentId, "task-old", DateTimeOffset.UtcNow.AddMinutes(-5));
        using var client = bed.CreateAgentClient();

        var bodies = new List<string>();
        var requests = new (HttpMethod Method, string Path, string? Grant)[]
        {
            (HttpMethod.Get, "/tools/cc/a", grant),
            (HttpMethod.Get, "/tools/cc/a", grant),
            (HttpMethod.Get, "/tools/tx/b", grant),
            (HttpMethod.Get, "/tools/mint/c", grant),
            (HttpMethod.Get, "/tools/key/d", null),
            (HttpMethod.Get, "/tools/plain/e", grant),
            (HttpMethod.Get, "/tools/cc/fail", null),
            (HttpMethod.Delete, "/tools/cc/denied", grant),
            (HttpMethod.Get, "/tools/plain/expired", expiredGrant),
        };
        foreach (var (method, path, withGrant) in requests)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.TryAddWithoutValidation("Authorization", AgentAuthorization);
            if (withGrant is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Task-Grant", withGrant);
            }

            using var response = await client.SendAsync(request);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        var auditLines = await bed.AuditLinesAsync(requests.Length);
        using var operations = new HttpClient { BaseAddress = bed.Proxy.OperationsUrl };
        bodies.Add(await operations.GetStringAsync(new Uri("/.well-known/jwks.json", UriKind.Relative)));
        using var metricsText = new MemoryStream();
        await bed.Proxy.App.Services.GetRequiredService<SidecarMetrics>().Registry.CollectAndExportAsTextAsync(metricsText);
        var metrics = Encoding.UTF8.GetString(metricsText.ToArray());

        // What the tools received are secrets too (the minted JWT, the static key, the fetched tokens).
        var injected = bed.Upstream.Requests
            .SelectMany(r => r.Headers.Where(h => h.Key is "authorization" or "x-api-key").Select(h => h.Value))
            .ToList();
        Assert.Contains("Bearer " + CcToken, injected);
        Assert.Contains("Bearer " + StsToken, injected);
        Assert.Contains(CredentialBed.StaticSecret, injected);
        Assert.Contains(injected, v => v.StartsWith("Bearer ey", StringComparison.Ordinal));
        Assert.Equal(requests.Length, auditLines.Count);
        Assert.Contains("sidecar_credentials_issued_total", metrics, StringComparison.Ordinal);
        Assert.Contains(bed.Logs.Lines, l => l.StartsWith("Trace ", StringComparison.Ordinal));
        Assert.Contains(bed.Logs.Lines, l => l.Contains("System.Net.Http.HttpClient.", StringComparison.Ordinal));

        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("sidecar-client:" + CredentialBed.ClientSecret));
        var secrets = new[]
        {
            CredentialBed.ClientSecret, CredentialBed.StaticSecret, CcToken, StsToken, AgentAuthorization["Bearer ".Length..],
            grant, Signature(grant), expiredGrant, Signature(expiredGrant), basic,
        }.Concat(injected.Select(v => v.StartsWith("Bearer ", StringComparison.Ordinal) ? v["Bearer ".Length..] : v)).Distinct().ToList();
        var places = bed.Logs.Lines.Select(l => ("log", l))
            .Append(("audit", bed.AuditText()))
            .Append(("metrics", metrics))
            .Concat(bodies.Select(b => ("response", b)))
            .ToList();
        foreach (var secret in secrets)
        {
            foreach (var (place, text) in places)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"a secret ({secret[..6]}...) leaked into a {place}: {text}");
            }
        }
    }

    private static string Signature(string jwt) => jwt[(jwt.LastIndexOf('.') + 1)..];
}
