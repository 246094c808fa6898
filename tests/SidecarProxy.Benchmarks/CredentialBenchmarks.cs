using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Credentials;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Benchmarks;

/// <summary>
/// Per-request cost of the credential step: a cache hit (the common case), minting a JWT (a miss), and
/// verifying a task grant. Run: dotnet run -c Release --project tests/SidecarProxy.Benchmarks -- --filter *Credential*
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // Disposed in GlobalCleanup, which BenchmarkDotNet calls.
public class CredentialBenchmarks
#pragma warning restore CA1001
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private const string Issuer = "https://orchestrator.example";

    private ServiceProvider _services = null!;
    private CredentialBroker _broker = null!;
    private ICredentialProvider _jwt = null!;
    private TaskGrantValidator _grants = null!;
    private CredentialRequest _request = null!;
    private string _grant = null!;
    private string _directory = null!;
    private ECDsa _orchestratorKey = null!;
    private int _task;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "sidecar-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _orchestratorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = _orchestratorKey.ExportParameters(false).Q;
        var jwks = JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-256", x = Base64UrlEncoder.Encode(q.X), y = Base64UrlEncoder.Encode(q.Y), kid = "k1" } },
        });
        var jwksPath = Path.Combine(_directory, "jwks.json");
        File.WriteAllText(jwksPath, jwks);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sidecar:Credentials:minted:Kind"] = "jwt",
            ["Sidecar:Credentials:minted:Issuer"] = "spiffe://agents.example.org/sidecar",
            ["Sidecar:TaskGrants:Issuer"] = Issuer,
            ["Sidecar:TaskGrants:JwksPath"] = jwksPath,
            ["Sidecar:Audit:Path"] = Path.Combine(_directory, "audit.jsonl"),
        }).Build();
        _services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSidecarCredentials(configuration)
            .BuildServiceProvider();
        _broker = _services.GetRequiredService<CredentialBroker>();
        _services.GetRequiredService<CredentialProviderRegistry>().TryGet("minted", out var jwt);
        _jwt = jwt!;
        _grants = _services.GetRequiredService<TaskGrantValidator>();
        _request = new CredentialRequest(Agent, "t-1", null, "github", ["issues:write", "repo:read"], TimeSpan.FromMinutes(5));
        _ = _broker.GetAsync("minted", _request, default).AsTask().GetAwaiter().GetResult();

        _grant = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = Agent, ["task_id"] = "t-1", ["purpose"] = "triage" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_orchestratorKey) { KeyId = "k1" }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _orchestratorKey.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public async Task<string> CacheHit() => (await _broker.GetAsync("minted", _request, default)).Fingerprint;

    [Benchmark]
    public async Task<string> MintJwt() => (await _jwt.IssueAsync(_request with { TaskId = "t-" + _task++ }, default)).HeaderValue;

    [Benchmark]
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "BenchmarkDotNet runs instance methods only; a static benchmark is rejected.")]
    public string Fingerprint() => CredentialFingerprint.Of("Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl");

    [Benchmark]
    public async Task<bool> ValidateTaskGrant() => (await _grants.ValidateAsync(_grant, Agent, default)).Succeeded;
}
