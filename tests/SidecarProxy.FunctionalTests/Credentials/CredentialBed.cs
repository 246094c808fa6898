using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Policy;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using WireMock.Server;
using WireMock.Settings;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>
/// The real sidecar over mTLS with every credential kind wired to a tool, WireMock standing in for the token
/// endpoint and the STS, a recording upstream for the tools, task grants signed by a test orchestrator, a test
/// decision point, an audit file and every log line captured.
/// Tools: <c>cc</c> (oauth2_client_credentials), <c>tx</c> (token_exchange), <c>mint</c> (jwt),
/// <c>key</c> (static, header X-Api-Key), <c>plain</c> (no credential), <c>github</c> (jwt, for the shipped policy).
/// </summary>
internal sealed class CredentialBed : IAsyncDisposable
{
    public const string TrustDomain = "agents.test";
    public const string AgentId = "spiffe://agents.test/agent/researcher";
    public const string OtherAgentId = "spiffe://agents.test/agent/other";
    public const string SidecarIssuer = "spiffe://agents.test/sidecar";
    public const string GrantIssuer = "https://orchestrator.test";
    public const string ClientSecret = "cc-client-secret-CANARY-1b9e";
    public const string StaticSecret = "static-api-key-CANARY-77d2";
    public const string CcPath = "/cc/token";
    public const string StsPath = "/sts/token";

    private readonly string _directory;

    private readonly string _trustDomain;

    private CredentialBed(string directory, string trustDomain)
    {
        _directory = directory;
        _trustDomain = trustDomain;
        Root = TestCa.CreateRoot(trustDomain);
    }

    public TestCa Root { get; }

    public IdentityDirectory Identity { get; } = new();

    public GrantSigner Orchestrator { get; } = new(GrantIssuer);

    public WireMockServer Tokens { get; private set; } = null!;

    public RecordingUpstream Upstream { get; private set; } = null!;

    public TestPolicyDecisionPoint Policy { get; } = TestPolicyDecisionPoint.AllowAll();

    public CapturingLoggerProvider Logs { get; } = new();

    public TestProxy Proxy { get; private set; } = null!;

    public string AuditPath => Path.Combine(_directory, "audit.jsonl");

    /// <param name="grantsRequired">Sidecar:TaskGrants:Required.</param>
    /// <param name="configure">Last word on the settings.</param>
    /// <param name="trustDomain">The agents' trust domain.</param>
    /// <param name="shippedPolicy">Decide with the embedded engine on this directory instead of <see cref="Policy"/>.</param>
    /// <param name="extraServices">Services registered before the sidecar's own (e.g. a TimeProvider).</param>
    public static async Task<CredentialBed> StartAsync(
        bool grantsRequired = false,
        Action<Dictionary<string, string?>>? configure = null,
        string trustDomain = TrustDomain,
        string? shippedPolicy = null,
        Action<IServiceCollection>? extraServices = null)
    {
        var directory = Directory.CreateTempSubdirectory("sidecar-cred-").FullName;
        var bed = new CredentialBed(directory, trustDomain);
        await bed.InitializeAsync(grantsRequired, configure, shippedPolicy, extraServices);
        return bed;
    }

    private async Task InitializeAsync(
        bool grantsRequired, Action<Dictionary<string, string?>>? configure, string? shippedPolicy, Action<IServiceCollection>? extraServices)
    {
        Identity.WriteBundle(_trustDomain, Root);
        Tokens = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
        Upstream = await RecordingUpstream.StartAsync();

        // WireMock's first answer in a process is slow (JIT); take it here, not inside a provider's deadline.
        using (var warmUp = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            using var ignored = await warmUp.GetAsync(new Uri(Tokens.Url!.TrimEnd('/') + "/warm-up"));
        }

        await File.WriteAllTextAsync(Path.Combine(_directory, "cc.secret"), ClientSecret + "\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "static.secret"), StaticSecret + "\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "grants.jwks.json"), Orchestrator.Jwks());

        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in Identity.Configuration(_trustDomain))
        {
            settings[key] = value;
        }

        var tokenBase = Tokens.Url!.TrimEnd('/');
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Sidecar:Audit:Path"] = AuditPath;
        settings["Sidecar:TaskGrants:Issuer"] = GrantIssuer;
        settings["Sidecar:TaskGrants:JwksPath"] = Path.Combine(_directory, "grants.jwks.json");
        settings["Sidecar:TaskGrants:Required"] = grantsRequired ? "true" : "false";
        settings["Sidecar:Credentials:cc:Kind"] = "oauth2_client_credentials";
        settings["Sidecar:Credentials:cc:TokenEndpoint"] = tokenBase + CcPath;
        settings["Sidecar:Credentials:cc:ClientId"] = "sidecar-client";
        settings["Sidecar:Credentials:cc:ClientSecretPath"] = Path.Combine(_directory, "cc.secret");
        settings["Sidecar:Credentials:cc:Timeout"] = "00:00:02";
        settings["Sidecar:Credentials:tx:Kind"] = "token_exchange";
        settings["Sidecar:Credentials:tx:TokenEndpoint"] = tokenBase + StsPath;
        settings["Sidecar:Credentials:tx:ClientId"] = "sidecar-sts-client";
        settings["Sidecar:Credentials:tx:ClientSecretPath"] = Path.Combine(_directory, "cc.secret");
        settings["Sidecar:Credentials:tx:Issuer"] = SidecarIssuer;
        settings["Sidecar:Credentials:tx:Timeout"] = "00:00:02";
        settings["Sidecar:Credentials:mint:Kind"] = "jwt";
        settings["Sidecar:Credentials:mint:Issuer"] = SidecarIssuer;
        settings["Sidecar:Credentials:mint:MaxTtl"] = "00:02:00";
        settings["Sidecar:Credentials:key:Kind"] = "static";
        settings["Sidecar:Credentials:key:Header"] = "X-Api-Key";
        settings["Sidecar:Credentials:key:SecretPath"] = Path.Combine(_directory, "static.secret");
        settings["Sidecar:Credentials:StripHeaders:0"] = "X-Agent-Secret";
        AddTool(settings, "cc", "cc", Upstream.Url);
        AddTool(settings, "tx", "tx", Upstream.Url);
        AddTool(settings, "mint", "mint", Upstream.Url);
        AddTool(settings, "key", "key", Upstream.Url);
        AddTool(settings, "plain", null, Upstream.Url);
        AddTool(settings, "github", "mint", Upstream.Url);
        if (shippedPolicy is not null)
        {
            settings["Sidecar:Policy:Engine"] = "embedded";
            settings["Sidecar:Policy:Directory"] = shippedPolicy;
        }

        configure?.Invoke(settings);

        Proxy = await TestProxy.StartAsync(Identity, settings, services =>
        {
            if (shippedPolicy is null)
            {
                services.AddSingletonPdp(Policy);
            }
            services.AddSingleton<ILoggerProvider>(Logs);
            extraServices?.Invoke(services);
        });
    }

    public static void AddTool(Dictionary<string, string?> settings, string tool, string? credential, Uri? upstream = null)
    {
        settings[$"ReverseProxy:Routes:{tool}:ClusterId"] = tool;
        settings[$"ReverseProxy:Routes:{tool}:Match:Path"] = $"/tools/{tool}/{{**rest}}";
        settings[$"ReverseProxy:Routes:{tool}:Metadata:Tool"] = tool;
        if (credential is not null)
        {
            settings[$"ReverseProxy:Routes:{tool}:Metadata:Credential"] = credential;
        }

        settings[$"ReverseProxy:Routes:{tool}:Transforms:0:PathRemovePrefix"] = $"/tools/{tool}";
        settings[$"ReverseProxy:Clusters:{tool}:Destinations:d1:Address"] = (upstream ?? new Uri("http://127.0.0.1:1/")).ToString();
    }

    public HttpClient CreateAgentClient(string? spiffeId = null) => Proxy.CreateClient(Root.IssueSvid(spiffeId ?? AgentId));

    public static string Marker() => Guid.NewGuid().ToString("N")[..12];

    public IReadOnlyList<RecordedRequest> UpstreamRequestsFor(string marker) =>
        [.. Upstream.Requests.Where(r => r.Path.Contains(marker, StringComparison.Ordinal))];

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

    public string AuditText() => File.Exists(AuditPath) ? ReadShared(AuditPath) : string.Empty;

    private List<JsonElement> ReadAudit() =>
        [.. AuditText().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        Tokens.Stop();
        Tokens.Dispose();
        Orchestrator.Dispose();
        Identity.Dispose();
        Root.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
