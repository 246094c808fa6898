using System.Net;
using System.Net.Sockets;
using SidecarProxy.Dev;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Configuration;

/// <summary>--help everywhere, policy eval of any rule or query, the dev banner's timing and the dev-certs warning.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "--help" }, "SidecarProxy dev-certs --out DIR")]
    [InlineData(new[] { "-h" }, "Known configuration keys")]
    [InlineData(new[] { "--Sidecar:Listen=https://127.0.0.1:0", "--help" }, "Sidecar:Policy:Timeout")]
    [InlineData(new[] { "dev-certs", "--help" }, "usage: SidecarProxy dev-certs --out DIR")]
    [InlineData(new[] { "policy", "--help" }, "SidecarProxy policy test [DIR]")]
    [InlineData(new[] { "policy", "test", "--help" }, "usage: SidecarProxy policy test")]
    [InlineData(new[] { "policy", "eval", "-h" }, "usage: SidecarProxy policy eval")]
    public async Task Help_PrintsUsageAndExits0WithoutDoingAnything(string[] args, string expected)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var exit = await Program.RunAsync(args, stdout, stderr, timeout.Token);

        Assert.Equal(0, exit);
        Assert.Contains(expected, stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d+ passed", stdout.ToString());
        Assert.Equal(string.Empty, stderr.ToString());
    }

    [Fact]
    public async Task PolicyEval_AnyRule_PrintsItsValue()
    {
        using var input = new TempFile("""{"attributes": {"request": {"http": {"method": "GET"}}}}""");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await Program.RunAsync(
            ["policy", "eval", "--decision", "data.sidecar.authz.deny", "--input", input.Path, RepositoryPaths.Policies], stdout, stderr, default);

        Assert.True(exit == 0, stderr.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, json.RootElement.ValueKind);
        Assert.Contains(json.RootElement.EnumerateArray(), e => e.GetString() == "request has no SPIFFE ID");
    }

    [Fact]
    public async Task PolicyEval_Query_PrintsBindings()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await Program.RunAsync(
            ["policy", "eval", "-d", "data.sidecar.authz.deny[msg]", RepositoryPaths.Policies], stdout, stderr, default);

        Assert.True(exit == 0, stderr.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        Assert.Contains(json.RootElement.EnumerateArray(), row => row.GetProperty("msg").GetString() == "request has no SPIFFE ID");
    }

    [Fact]
    public async Task PolicyEval_UndefinedRule_Exits1()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await Program.RunAsync(
            ["policy", "eval", "--decision", "data.sidecar.authz.no_such_rule", RepositoryPaths.Policies], stdout, stderr, default);

        Assert.Equal(1, exit);
        Assert.Contains("undefined", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevBanner_IsPrintedOnlyOnceListening_WithTheBoundPort()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-banner-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var stdout = new SynchronizedWriter();
            using var stderr = new StringWriter();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var run = Program.RunAsync(DevArgs(directory, "http://127.0.0.1:0"), stdout, stderr, stop.Token);

            while (!stdout.Text.Contains("Development identity in", StringComparison.Ordinal) && !run.IsCompleted)
            {
                await Task.Delay(50);
            }

            await stop.CancelAsync();
            Assert.Equal(0, await run);
            var banner = stdout.Text;
            Assert.Contains("curl --cacert", banner, StringComparison.Ordinal);
            Assert.DoesNotContain("https://127.0.0.1:0/", banner, StringComparison.Ordinal);
            Assert.Matches(@"https://127\.0\.0\.1:[1-9]\d*/tools/demo/hello", banner);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task DevBanner_IsNotPrintedWhenStartFails()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-banner-" + Guid.NewGuid().ToString("N"));
        using var busy = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        busy.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        busy.Listen();
        var port = ((IPEndPoint)busy.LocalEndPoint!).Port;
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();

            var exit = await Program.RunAsync(DevArgs(directory, $"http://127.0.0.1:{port}"), stdout, stderr, default);

            Assert.Equal(2, exit);
            Assert.Equal($"Sidecar:Dev:DemoUpstream: address http://127.0.0.1:{port} is already in use", stderr.ToString().Trim());
            Assert.DoesNotContain("Development identity", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Development", false)]
    public void DevCerts_WarnsWhenThePrintedProxyWouldHaveNoTool(string environment, bool warns)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-devcerts-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();

            Assert.Equal(0, DevCertsCommand.Run(["--out", directory], stdout, stderr, environment));

            Assert.Equal(warns, stderr.ToString().Contains("Warning: no tools are configured", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string[] DevArgs(string identityDirectory, string demoUpstream) =>
    [
        "--environment=Development",
        "--Sidecar:Listen=https://127.0.0.1:0",
        "--Sidecar:Metrics:Listen=http://127.0.0.1:0",
        $"--Sidecar:Dev:DemoUpstream={demoUpstream}",
        $"--Sidecar:Dev:IdentityDirectory={identityDirectory}",
        $"--Sidecar:Policy:Directory={RepositoryPaths.Policies}",
        "--Logging:LogLevel:Default=Warning",
    ];

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }

    // The proxy writes the banner from its own thread while the test polls.
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock _lock = new();

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
            }

            return Task.CompletedTask;
        }
    }
}
