using SidecarProxy.Configuration;
using SidecarProxy.Dev;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Hosting;

/// <summary>Bad configuration stops the sidecar before it listens, with every error listed.</summary>
public sealed class StartupTests
{
    [Fact]
    public void SeveralConfigurationErrors_AreAllListed()
    {
        var settings = TestProxy.BaseSettings();
        settings["Sidecar:Listen"] = "http://0.0.0.0:15443";
        settings["Sidecar:Metrics:Listen"] = "ftp://x";
        settings["Sidecar:Identity:ServerCertificate"] = "/does/not/exist.pem";
        settings["Sidecar:Identity:TrustBundles:Bad.Domain"] = "/does/not/exist-bundle.pem";

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains(ex.Errors, e => e.StartsWith("Sidecar:Listen ", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Sidecar:Metrics:Listen ", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("ServerCertificate: file '/does/not/exist.pem'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Sidecar:Identity:ServerKey is required", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("Bad.Domain is not a valid trust domain", StringComparison.Ordinal));
        Assert.True(ex.Errors.Count >= 6, string.Join("\n", ex.Errors));
        Assert.All(ex.Errors, e => Assert.Contains(e, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void NoIdentityOutsideDevelopment_StopsInsteadOfCreatingOne()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-noid-" + Guid.NewGuid().ToString("N"));
        var settings = TestProxy.BaseSettings();
        settings["Sidecar:Dev:IdentityDirectory"] = directory;

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings, environment: "Production"));

        Assert.Contains(ex.Errors, e => e.Contains("no identity source", StringComparison.Ordinal));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task WorkloadApiConfigured_UsesWorkloadApiSourceInsteadOfFiles()
    {
        var settings = TestProxy.BaseSettings();
        settings["Sidecar:Identity:WorkloadApi"] = "unix:///tmp/sidecar-test-no-such-agent.sock";

        var app = TestProxy.Build(settings);
        try
        {
            var source = app.Services.GetRequiredServiceOf<SidecarProxy.Identity.IIdentityMaterialSource>();
            Assert.IsType<SidecarProxy.Identity.WorkloadApi.WorkloadApiIdentitySource>(source);
            Assert.Null(source.Current);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void RouteWithoutToolMetadata_StopsWithReverseProxyError()
    {
        using var root = TestCa.CreateRoot("agents.test");
        using var identity = new IdentityDirectory();
        identity.WriteBundle("agents.test", root);
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration("agents.test"))
        {
            settings[key] = value;
        }

        settings["ReverseProxy:Routes:r1:ClusterId"] = "c1";
        settings["ReverseProxy:Routes:r1:Match:Path"] = "/tools/x/{**rest}";
        settings["ReverseProxy:Clusters:c1:Destinations:d:Address"] = "http://127.0.0.1:1/";

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains(ex.Errors, e => e.Contains("Metadata.Tool is required", StringComparison.Ordinal));
    }

    [Fact]
    public void CorruptIdentityFile_StopsNamingTheFile()
    {
        using var identity = new IdentityDirectory();
        identity.WriteBundleText("agents.test", "not a certificate");
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in identity.Configuration("agents.test"))
        {
            settings[key] = value;
        }

        var ex = Assert.Throws<StartupException>(() => TestProxy.Build(settings));

        Assert.Contains(ex.Errors, e => e.Contains(identity.BundlePath("agents.test"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Development_CreatesDevIdentityAndServesDemoUpstream()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-dev-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = TestProxy.BaseSettings();
            settings["Sidecar:Dev:IdentityDirectory"] = directory;
            settings["Sidecar:Dev:DemoUpstream"] = "http://127.0.0.1:0";
            var app = TestProxy.Build(settings, environment: "Development");
            await app.StartAsync();
            try
            {
                var demo = app.Services.GetRequiredServiceOf<SidecarListeners>().GetUrl(ListenerKind.DemoUpstream);
                using var http = new HttpClient { BaseAddress = demo };
                var echo = await http.GetStringAsync(new Uri("/hello?x=1", UriKind.Relative));

                Assert.Contains("\"path\": \"/hello\"", echo, StringComparison.Ordinal);
                Assert.True(File.Exists(Path.Combine(directory, "agent.pem")));
                Assert.True(File.Exists(Path.Combine(directory, "sidecar-key.pem")));
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task DevCertsOutput_AgentPassesIdentityAgainstProxyUsingThoseFiles()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sidecar-devcerts-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            Assert.Equal(0, DevCertsCommand.Run(["--out", directory], output, error));
            Assert.Contains("curl --cacert", output.ToString(), StringComparison.Ordinal);

            var dev = new DevIdentity(Path.GetFullPath(directory));
            var settings = TestProxy.BaseSettings();
            settings["Sidecar:Identity:ServerCertificate"] = dev.SidecarCertificate;
            settings["Sidecar:Identity:ServerKey"] = dev.SidecarKey;
            settings["Sidecar:Identity:TrustBundles:sidecar.dev"] = dev.CaCertificate;
            TestProxy.AddPathTool(settings, "demo", new Uri("http://127.0.0.1:1/"));
            using var identity = new IdentityDirectory();
            await using var proxy = await TestProxy.StartAsync(identity, settings);
            using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(dev.CaCertificate));
            using var agent = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(dev.AgentCertificate, dev.AgentKey);
            using var client = proxy.CreateClient(agent, null, ca, out _);

            using var response = await client.PostAsync(new Uri("/tools/demo/hello", UriKind.Relative), new StringContent("{}"));

            // Past identity; the shipped policy then answers (a write without a task grant is refused).
            Assert.Equal("policy_denied", (await Problem.ReadAsync(response)).Code);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DevCertsWithoutOut_PrintsUsageAndFails()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(2, DevCertsCommand.Run([], output, error));
        Assert.Contains("usage:", error.ToString(), StringComparison.Ordinal);
    }
}

internal static class ServiceProviderTestExtensions
{
    public static T GetRequiredServiceOf<T>(this IServiceProvider services)
        where T : notnull =>
        (T)(services.GetService(typeof(T)) ?? throw new InvalidOperationException(typeof(T).Name));
}
