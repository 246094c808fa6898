using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SidecarProxy.FunctionalTests.Faults;

/// <summary>
/// The real sidecar over mTLS with every dependency a request can fail on: WireMock as the OPA server (engine
/// <c>opa</c>, 1 s deadline) and as the token endpoint and STS (1 s deadline), task grants from a test orchestrator, an
/// audit file, a recording upstream and a tool on a <see cref="FaultyUpstream"/>. OPA allows everything and the token
/// endpoint and STS answer until a test says otherwise.
/// Tools: <c>demo</c> (no credential), <c>cc</c> (oauth2_client_credentials), <c>tx</c> (token_exchange for
/// <see cref="StsAudience"/>), <c>faulty</c> (the faulty upstream, 1 s activity timeout).
/// </summary>
internal sealed class FaultBed : IAsyncDisposable
{
    public const string AgentId = SidecarTestBed.AgentId;
    public const string GrantIssuer = "https://orchestrator.test";
    public const string DecisionPath = "/v1/data/sidecar/authz/decision";
    public const string CcPath = "/cc/token";
    public const string StsPath = "/sts/token";
    public const string StsAudience = "https://reports.example";

    private readonly string _directory;

    private FaultBed(string directory, WireMockServer opa, WireMockServer tokens, FaultyUpstream faulty, GrantSigner orchestrator)
    {
        _directory = directory;
        Opa = opa;
        Tokens = tokens;
        Faulty = faulty;
        Orchestrator = orchestrator;
    }

    public WireMockServer Opa { get; }

    public WireMockServer Tokens { get; }

    public FaultyUpstream Faulty { get; }

    public GrantSigner Orchestrator { get; }

    public SidecarTestBed Bed { get; private set; } = null!;

    public string AuditPath => Path.Combine(_directory, "audit.jsonl");

    public SidecarMetrics Metrics => Bed.Proxy.App.Services.GetRequiredService<SidecarMetrics>();

    public static async Task<FaultBed> StartAsync(UpstreamFault upstreamFault = UpstreamFault.Silent)
    {
        var directory = Directory.CreateTempSubdirectory("sidecar-faults-").FullName;
        var opa = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        var tokens = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        var bed = new FaultBed(directory, opa, tokens, new FaultyUpstream(upstreamFault), new GrantSigner(GrantIssuer));
        await bed.InitializeAsync();
        return bed;
    }

    private async Task InitializeAsync()
    {
        // WireMock's first answer in a process is slow (JIT); take it here, not inside a deadline.
        using (var warmUp = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            using var first = await warmUp.GetAsync(new Uri(Opa.Url!.TrimEnd('/') + "/warm-up"));
            using var second = await warmUp.GetAsync(new Uri(Tokens.Url!.TrimEnd('/') + "/warm-up"));
        }

        OpaReplies(200, "{\"result\": true}");
        TokenReplies(CcPath, 200, Token("cc-token", 300));
        TokenReplies(StsPath, 200, Token("sts-token", 300));

        var secret = Path.Combine(_directory, "client.secret");
        await File.WriteAllTextAsync(secret, "fault-client-secret\n");
        var jwks = Path.Combine(_directory, "grants.jwks.json");
        await File.WriteAllTextAsync(jwks, Orchestrator.Jwks());

        var tokenBase = Tokens.Url!.TrimEnd('/');
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Policy:Engine"] = "opa",
            ["Sidecar:Policy:OpaUrl"] = Opa.Url,
            ["Sidecar:Policy:Timeout"] = "00:00:01",
            ["Sidecar:Audit:Path"] = AuditPath,
            ["Sidecar:TaskGrants:Issuer"] = GrantIssuer,
            ["Sidecar:TaskGrants:JwksPath"] = jwks,
            ["Sidecar:Credentials:cc:Kind"] = "oauth2_client_credentials",
            ["Sidecar:Credentials:cc:TokenEndpoint"] = tokenBase + CcPath,
            ["Sidecar:Credentials:cc:ClientId"] = "sidecar-client",
            ["Sidecar:Credentials:cc:ClientSecretPath"] = secret,
            ["Sidecar:Credentials:cc:Timeout"] = "00:00:01",
            ["Sidecar:Credentials:tx:Kind"] = "token_exchange",
            ["Sidecar:Credentials:tx:TokenEndpoint"] = tokenBase + StsPath,
            ["Sidecar:Credentials:tx:ClientId"] = "sidecar-sts-client",
            ["Sidecar:Credentials:tx:ClientSecretPath"] = secret,
            ["Sidecar:Credentials:tx:Issuer"] = "spiffe://agents.test/sidecar",
            ["Sidecar:Credentials:tx:Audience"] = StsAudience,
            ["Sidecar:Credentials:tx:Timeout"] = "00:00:01",
            ["ReverseProxy:Routes:cc:Metadata:Credential"] = "cc",
            ["ReverseProxy:Routes:tx:Metadata:Credential"] = "tx",
            ["ReverseProxy:Clusters:faulty:HttpRequest:ActivityTimeout"] = "00:00:01",
        };
        TestProxy.AddPathTool(settings, "faulty", Faulty.Url);
        Bed = await SidecarTestBed.Create()
            .WithTool("demo")
            .WithTool("cc")
            .WithTool("tx")
            .WithSettings(settings)
            .StartAsync();
    }

    public static string Token(string accessToken, int expiresIn) =>
        $"{{\"access_token\":\"{accessToken}\",\"token_type\":\"Bearer\",\"expires_in\":{expiresIn}}}";

    public void OpaReplies(int status, string body, TimeSpan? delay = null) =>
        Reply(Opa, DecisionPath, status, body, delay);

    public void TokenReplies(string path, int status, string body, TimeSpan? delay = null) =>
        Reply(Tokens, path, status, body, delay);

    private static void Reply(WireMockServer server, string path, int status, string body, TimeSpan? delay)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }

        server.Given(Request.Create().WithPath(path).UsingPost()).RespondWith(response);
    }

    public async Task<HttpResponseMessage> SendAsync(string tool, string marker, string? grant = null)
    {
        using var client = Bed.Agent();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/tools/{tool}/{marker}", UriKind.Relative));
        if (grant is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Task-Grant", grant);
        }

        // Headers only: a test of a broken body reads it itself.
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>The audit lines written so far, waiting (bounded) until at least <paramref name="atLeast"/> exist.</summary>
    public async Task<IReadOnlyList<JsonElement>> AuditLinesAsync(int atLeast)
    {
        List<JsonElement> lines = [];
        await Eventually.TrueAsync(() =>
        {
            lines = ReadAudit();
            return lines.Count >= atLeast;
        });
        return lines;
    }

    private List<JsonElement> ReadAudit()
    {
        if (!File.Exists(AuditPath))
        {
            return [];
        }

        using var stream = new FileStream(AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        await Bed.DisposeAsync();
        await Faulty.DisposeAsync();
        Opa.Stop();
        Opa.Dispose();
        Tokens.Stop();
        Tokens.Dispose();
        Orchestrator.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
