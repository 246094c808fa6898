using SidecarProxy.TestSupport;
using SidecarProxy.Dev;
using SidecarProxy.Tests.Credentials;
using SidecarProxy.Tests.TaskGrants;

namespace SidecarProxy.Tests.Dev;

/// <summary><c>SidecarProxy task-grant</c> mints grants that the sidecar's own validator accepts.</summary>
public sealed class TaskGrantCommandTests : IDisposable
{
    private const string Agent = "spiffe://agents.example.org/agent/researcher";
    private const string Issuer = "https://orchestrator.example.org";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Code, string Output, string Error) Mint(TimeProvider time, params string[] extra)
    {
        string[] args =
        [
            "--key", _dir.PathOf("orchestrator-key.pem"), "--jwks", _dir.PathOf("jwks.json"),
            "--issuer", Issuer, "--sub", Agent, "--task-id", "t-triage-1", .. extra,
        ];
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = TaskGrantCommand.Run(args, output, error, time);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task MintedGrant_IsAcceptedByTheValidator()
    {
        await using var host = new TaskGrantHost(new()
        {
            ["Sidecar:TaskGrants:Issuer"] = Issuer,
            ["Sidecar:TaskGrants:JwksPath"] = _dir.PathOf("jwks.json"),
        });
        var now = host.Time.GetUtcNow();

        var (code, _, error) = Mint(host.Time, "--ttl", "00:30:00", "--tools", "github", "--claim", "purpose=triage",
            "--out", _dir.PathOf("grant.jwt"));
        var result = await host.Validator.ValidateAsync(File.ReadAllText(_dir.PathOf("grant.jwt")).Trim(), Agent, default);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal("t-triage-1", result.Task!.Id);
        Assert.Equal(Issuer, result.Task.Issuer);
        Assert.Equal(now + TimeSpan.FromMinutes(30), result.Task.ExpiresAt);
        Assert.Equal("github", result.Task.Claims["tools"][0].GetString());
        Assert.Equal("triage", result.Task.Claims["purpose"].GetString());
    }

    [Fact]
    public async Task MintedGrant_IsBoundToTheAgent()
    {
        await using var host = new TaskGrantHost(new()
        {
            ["Sidecar:TaskGrants:Issuer"] = Issuer,
            ["Sidecar:TaskGrants:JwksPath"] = _dir.PathOf("jwks.json"),
        });
        var (_, grant, _) = Mint(host.Time);

        var result = await host.Validator.ValidateAsync(grant.Trim(), "spiffe://agents.example.org/agent/other", default);

        Assert.False(result.Succeeded);
        Assert.Equal("task_grant_subject", result.Code);
    }

    [Fact]
    public void SecondRun_ReusesTheKey_AndLeavesTheJwksUntouched()
    {
        var time = new ManualTimeProvider();
        Mint(time);
        var jwks = File.ReadAllText(_dir.PathOf("jwks.json"));
        var written = File.GetLastWriteTimeUtc(_dir.PathOf("jwks.json"));

        var (code, _, _) = Mint(time);

        Assert.Equal(0, code);
        Assert.Equal(jwks, File.ReadAllText(_dir.PathOf("jwks.json")));
        Assert.Equal(written, File.GetLastWriteTimeUtc(_dir.PathOf("jwks.json")));
        Assert.DoesNotContain("\"d\"", jwks, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.PathOf("orchestrator-key.pem")));
        }
    }

    [Fact]
    public void MissingArguments_AreAUsageError()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = TaskGrantCommand.Run(["--issuer", Issuer], output, error, new ManualTimeProvider());

        Assert.Equal(2, code);
        Assert.Contains("are required", error.ToString(), StringComparison.Ordinal);
    }
}
