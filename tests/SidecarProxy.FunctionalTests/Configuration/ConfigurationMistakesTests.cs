using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Configuration;

/// <summary>
/// Configuration mistakes run through the real entry point (<see cref="Program.RunAsync"/>, in process): each
/// must exit with code 2 and print exactly one line per error on stderr, starting with the key (or the
/// section) at fault, all errors of a run together, and never a stack trace, an exception type or a secret.
/// </summary>
public sealed partial class ConfigurationMistakesTests : IDisposable
{
    private const string Secret = "s3cr3t-value-never-shown";

    // name -> (extra arguments, the start of each expected line, in any order)
    private static readonly Dictionary<string, Func<Bed, (string[] Args, string[] Lines)>> Cases = new()
    {
        ["bad TimeSpan"] = _ => (["--Sidecar:Policy:Timeout=abc"],
            ["Sidecar:Policy:Timeout: 'abc' is not a valid TimeSpan"]),
        ["bad int"] = _ => (["--Sidecar:Audit:QueueCapacity=many"],
            ["Sidecar:Audit:QueueCapacity: 'many' is not a valid integer"]),
        ["bad bool"] = _ => (["--Sidecar:TaskGrants:Required=yes"],
            ["Sidecar:TaskGrants:Required: 'yes' is not a valid boolean"]),
        ["bad TimeSpan of a credential provider"] = _ => (["--Sidecar:Credentials:gh:Kind=jwt", "--Sidecar:Credentials:gh:MaxTtl=5m"],
            ["Sidecar:Credentials:gh:MaxTtl: '5m' is not a valid TimeSpan"]),
        ["bad listen URL"] = _ => (["--Sidecar:Listen=ftp://127.0.0.1:1"],
            ["Sidecar:Listen must be an https:// URL"]),
        ["bad OPA URL"] = _ => (["--Sidecar:Policy:Engine=opa", "--Sidecar:Policy:OpaUrl=opa.local"],
            ["Sidecar:Policy:OpaUrl must be an absolute http(s) URL"]),
        ["unknown policy engine"] = _ => (["--Sidecar:Policy:Engine=wasm"],
            ["Sidecar:Policy:Engine must be 'embedded' or 'opa'"]),
        ["port in use"] = bed => ([$"--Sidecar:Metrics:Listen=http://127.0.0.1:{bed.BusyPort}"],
            [$"Sidecar:Metrics:Listen: address http://127.0.0.1:{bed.BusyPort} is already in use"]),
        ["agent port in use"] = bed => ([$"--Sidecar:Listen=https://127.0.0.1:{bed.BusyPort}"],
            [$"Sidecar:Listen: address https://127.0.0.1:{bed.BusyPort} is already in use"]),
        ["duplicate ports"] = _ => (["--Sidecar:Listen=https://127.0.0.1:18443", "--Sidecar:Metrics:Listen=http://127.0.0.1:18443"],
            ["Sidecar:Listen and Sidecar:Metrics:Listen must use different ports"]),
        ["unknown key, with a suggestion"] = _ => (["--Sidecar:Lisen=https://127.0.0.1:1"],
            ["Sidecar:Lisen: unknown configuration key; did you mean 'Sidecar:Listen'?"]),
        ["unknown key in another case, with a suggestion"] = _ => (["--sidecar:policy:timout=00:00:01"],
            ["sidecar:policy:timout: unknown configuration key; did you mean 'Sidecar:Policy:Timeout'?"]),
        ["unknown provider key, with a suggestion"] = _ => (["--Sidecar:Credentials:gh:Kind=jwt", "--Sidecar:Credentials:gh:MaxTtll=00:01:00"],
            ["Sidecar:Credentials:gh:MaxTtll: unknown configuration key; did you mean 'Sidecar:Credentials:gh:MaxTtl'?"]),
        ["unknown key, no suggestion, value not shown"] = _ => ([$"--Sidecar:Frobnicate={Secret}"],
            ["Sidecar:Frobnicate: unknown configuration key"]),
        ["missing file"] = _ => (["--Sidecar:Identity:ServerKey=/does/not/exist/key.pem"],
            ["Sidecar:Identity:ServerKey: file '/does/not/exist/key.pem' does not exist"]),
        ["unreadable key file"] = bed => ([$"--Sidecar:Identity:ServerKey={bed.GarbageFile}"],
            ["Sidecar:Identity:ServerKey: server key"]),
        ["bad trust-domain name"] = bed => ([$"--Sidecar:Identity:TrustBundles:Bad.Domain={bed.Identity.BundlePath("agents.test")}"],
            ["Sidecar:Identity:TrustBundles:Bad.Domain is not a valid trust domain name"]),
        ["route without Metadata.Tool"] = _ => ([
                "--ReverseProxy:Routes:r1:ClusterId=c1", "--ReverseProxy:Routes:r1:Match:Path=/tools/x/{**rest}",
                "--ReverseProxy:Clusters:c1:Destinations:d:Address=http://127.0.0.1:1/"],
            ["ReverseProxy: route 'r1': Metadata.Tool is required"]),
        ["route naming no configured credential"] = _ => ([
                "--ReverseProxy:Routes:r1:ClusterId=c1", "--ReverseProxy:Routes:r1:Match:Path=/tools/x/{**rest}",
                "--ReverseProxy:Routes:r1:Metadata:Tool=x", "--ReverseProxy:Routes:r1:Metadata:Credential=nope",
                "--ReverseProxy:Clusters:c1:Destinations:d:Address=http://127.0.0.1:1/"],
            ["ReverseProxy: route 'r1': Metadata.Credential 'nope' is not a configured provider"]),
        ["unknown credential kind"] = _ => (["--Sidecar:Credentials:gh:Kind=magic"],
            ["Sidecar:Credentials:gh"]),
        ["static credential with a bad header, secret not shown"] = bed => ([
                "--Sidecar:Credentials:st:Kind=static", $"--Sidecar:Credentials:st:SecretPath={bed.SecretFile}",
                "--Sidecar:Credentials:st:Header=bad header"],
            ["Sidecar:Credentials:st:Header"]),
        ["missing policy directory"] = _ => (["--Sidecar:Policy:Directory=/does/not/exist/policies"],
            ["Sidecar:Policy:Directory '/does/not/exist/policies' does not exist"]),
        ["policy that does not parse"] = bed => ([$"--Sidecar:Policy:Directory={bed.BadPolicyDirectory}"],
            ["Sidecar:Policy: "]),
        ["approval console without the admin listener, secret not shown"] = _ => ([
                "--Sidecar:Approvals:Oidc:Authority=https://idp.example", "--Sidecar:Approvals:Oidc:ClientId=console",
                $"--Sidecar:Approvals:Oidc:ClientSecret={Secret}"],
            ["Sidecar:Approvals:Oidc:Authority needs Sidecar:Admin:Listen"]),
        ["approval console issuer over plain http to another host"] = _ => ([
                "--Sidecar:Admin:Listen=https://127.0.0.1:0", "--Sidecar:Admin:Principals:0:Id=spiffe://agents.test/ops/admin",
                "--Sidecar:Admin:Principals:0:Roles:0=approve", "--Sidecar:Approvals:Oidc:Authority=http://idp.example",
                "--Sidecar:Approvals:Oidc:ClientId=console"],
            ["Sidecar:Approvals:Oidc:Authority must be an absolute https URL"]),
        ["approval console client secret twice, secret not shown"] = bed => ([
                "--Sidecar:Admin:Listen=https://127.0.0.1:0", "--Sidecar:Admin:Principals:0:Id=spiffe://agents.test/ops/admin",
                "--Sidecar:Admin:Principals:0:Roles:0=approve", "--Sidecar:Approvals:Oidc:Authority=https://idp.example",
                "--Sidecar:Approvals:Oidc:ClientId=console", $"--Sidecar:Approvals:Oidc:ClientSecret={Secret}",
                $"--Sidecar:Approvals:Oidc:ClientSecretFile={bed.SecretFile}"],
            ["Sidecar:Approvals:Oidc:ClientSecret and Sidecar:Approvals:Oidc:ClientSecretFile are exclusive"]),
        ["approval console settings without an issuer"] = _ => (["--Sidecar:Approvals:Oidc:ClientId=console"],
            ["Sidecar:Approvals:Oidc:Authority is required"]),
        ["four bad values"] = _ => ([
                "--Sidecar:Policy:Timeout=abc", "--Sidecar:Identity:Debounce=x", "--Sidecar:Audit:QueueCapacity=zz",
                "--Sidecar:TaskGrants:Required=maybe"],
            ["Sidecar:Policy:Timeout: 'abc'", "Sidecar:Identity:Debounce: 'x'", "Sidecar:Audit:QueueCapacity: 'zz'",
                "Sidecar:TaskGrants:Required: 'maybe'"]),
        ["four mistakes of four phases"] = bed => ([
                "--Sidecar:Lisen=x", "--Sidecar:Listen=ftp://x", $"--Sidecar:Identity:ServerKey={bed.GarbageFile}",
                "--Sidecar:Policy:Directory=/does/not/exist/policies"],
            ["Sidecar:Lisen: unknown configuration key", "Sidecar:Listen must be", "Sidecar:Identity:ServerKey: server key",
                "Sidecar:Policy:Directory"]),
    };

    private readonly Bed _bed = new();

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Mistake_IsOneLinePerErrorAndExitCode2(string name)
    {
        var (args, expected) = Cases[name](_bed);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var exit = await Program.RunAsync([.. _bed.BaseArgs, .. args], stdout, stderr, timeout.Token);

        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shown = string.Join("\n", lines);
        Assert.True(exit == 2, $"exit {exit}; stderr:\n{shown}");
        Assert.True(lines.Length == expected.Length, $"expected {expected.Length} lines, got:\n{shown}");
        foreach (var start in expected)
        {
            // Configuration keys are case-insensitive: a line spells a section as the first source that has it.
            Assert.True(lines.Count(l => l.StartsWith(start, StringComparison.OrdinalIgnoreCase)) == 1, $"no line starts with '{start}':\n{shown}");
        }

        foreach (var text in new[] { stderr.ToString(), stdout.ToString() })
        {
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(ExceptionTypeName(), text);
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheTableCoversAtLeastFifteenMistakes() => Assert.True(Cases.Count >= 15);

    public void Dispose() => _bed.Dispose();

    [GeneratedRegex(@"\b[A-Z]\w*Exception\b")]
    private static partial Regex ExceptionTypeName();

    /// <summary>A valid configuration (identity, shipped policy, ports 0) to which each case adds its mistake.</summary>
    internal sealed class Bed : IDisposable
    {
        private readonly TestCa _root = TestCa.CreateRoot("agents.test");
        private readonly Socket _busy = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public Bed()
        {
            Identity.WriteBundle("agents.test", _root);
            GarbageFile = Path.Combine(Identity.Path, "garbage-key.pem");
            File.WriteAllText(GarbageFile, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
            SecretFile = Path.Combine(Identity.Path, "static-secret");
            File.WriteAllText(SecretFile, Secret);
            BadPolicyDirectory = Path.Combine(Identity.Path, "bad-policy");
            Directory.CreateDirectory(BadPolicyDirectory);
            File.WriteAllText(Path.Combine(BadPolicyDirectory, "authz.rego"), "package sidecar.authz\n\ndecision := {\n");
            _busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _busy.Listen();
        }

        public IdentityDirectory Identity { get; } = new();

        public string GarbageFile { get; }

        public string BadPolicyDirectory { get; }

        public string SecretFile { get; }

        public int BusyPort => ((IPEndPoint)_busy.LocalEndPoint!).Port;

        public string[] BaseArgs =>
        [
            "--environment=Production",
            "--Sidecar:Listen=https://127.0.0.1:0",
            "--Sidecar:Metrics:Listen=http://127.0.0.1:0",
            $"--Sidecar:Identity:ServerCertificate={Identity.ServerCertificatePath}",
            $"--Sidecar:Identity:ServerKey={Identity.ServerKeyPath}",
            $"--Sidecar:Identity:TrustBundles:agents.test={Identity.BundlePath("agents.test")}",
            $"--Sidecar:Policy:Directory={RepositoryPaths.Policies}",
            "--Logging:LogLevel:Default=Warning",
        ];

        public void Dispose()
        {
            _busy.Dispose();
            _root.Dispose();
            Identity.Dispose();
        }
    }
}
