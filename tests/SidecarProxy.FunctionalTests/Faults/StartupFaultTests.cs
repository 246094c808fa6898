using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.FunctionalTests.Configuration;
using SidecarProxy.FunctionalTests.Policy;
using SidecarProxy.Identity;
using SidecarProxy.Observability;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Faults;

/// <summary>
/// The fault matrix of docs/fault-matrix.md, start-up and reload part. At start-up a missing or corrupt dependency is
/// a refusal to start: exit code 2 and one line naming the key at fault, before any agent is served. At reload the
/// sidecar keeps the last good material, counts the failed reload and keeps serving.
/// </summary>
public sealed class StartupFaultTests : IDisposable
{
    private readonly ConfigurationMistakesTests.Bed _bed = new();

    public static TheoryData<string> StartupFaults =>
    [
        "trust bundle missing", "trust bundle corrupt", "trust bundle empty", "policy broken", "audit destination unwritable",
    ];

    [Theory]
    [MemberData(nameof(StartupFaults))]
    public async Task StartupFault_RefusesToStartWithExitCode2AndOneLineNamingTheKey(string fault)
    {
        var bundleKey = "--Sidecar:Identity:TrustBundles:agents.test=";
        var corrupt = Path.Combine(_bed.Identity.Path, "corrupt-bundle.pem");
        await File.WriteAllTextAsync(corrupt, "-----BEGIN CERTIFICATE-----\nMIIBhalfwritten\n");
        var empty = Path.Combine(_bed.Identity.Path, "empty-bundle.pem");
        await File.WriteAllTextAsync(empty, "");
        var (arguments, key) = fault switch
        {
            "trust bundle missing" => (bundleKey + "/does/not/exist/bundle.pem", "Sidecar:Identity:TrustBundles:agents.test"),
            "trust bundle corrupt" => (bundleKey + corrupt, "Sidecar:Identity"),
            "trust bundle empty" => (bundleKey + empty, "Sidecar:Identity"),
            "policy broken" => ($"--Sidecar:Policy:Directory={_bed.BadPolicyDirectory}", "Sidecar:Policy"),
            _ => ($"--Sidecar:Audit:Path={_bed.Identity.Path}", "Sidecar:Audit:Path"),
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var exit = await Program.RunAsync([.. _bed.BaseArgs.Where(a => !a.StartsWith(bundleKey, StringComparison.Ordinal) || !arguments.StartsWith(bundleKey, StringComparison.Ordinal)), arguments], stdout, stderr, timeout.Token);

        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(exit == 2, $"{fault}: exit {exit}; stderr:\n{stderr}");
        Assert.True(lines.Length >= 1 && lines.All(l => l.StartsWith(key, StringComparison.OrdinalIgnoreCase)), $"{fault}:\n{stderr}");
        Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The trust bundle file disappears under a running sidecar (a volume unmounted, a botched rotation): the last good
    /// bundle stays, the failed reload is counted, agents keep being served; the bundle coming back is picked up.
    /// </summary>
    [Fact]
    public async Task TrustBundleDeletedAtReload_KeepsTheLastGoodBundleCountsAndRecovers()
    {
        await using var bed = await SidecarTestBed.Create().WithAllowAllPolicy().WithTool("demo").StartAsync();
        var status = bed.Proxy.App.Services.GetRequiredService<IIdentityReloadStatus>();
        var metrics = bed.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
        var before = status.ReloadFailureCount;

        File.Delete(bed.Identity.BundlePath(SidecarTestBed.TrustDomain));

        Assert.True(await Eventually.TrueAsync(() => status.ReloadFailureCount > before));
        Assert.True(metrics.IdentityReloadFailures.WithLabels("files").Value >= 1);
        using (var client = bed.Agent())
        {
            using var response = await client.GetAsync(new Uri("/tools/demo/during", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var ca2 = TestCa.CreateRoot(SidecarTestBed.TrustDomain, "second CA");
        bed.Identity.WriteBundle(SidecarTestBed.TrustDomain, ca2);
        using var svid2 = ca2.IssueSvid(SidecarTestBed.AgentId);
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            using var client = bed.Proxy.CreateClient(svid2);
            try
            {
                using var response = await client.GetAsync(new Uri("/tools/demo/after", UriKind.Relative));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }));
    }

    /// <summary>
    /// A policy edit that does not compile under a running sidecar: the last good policy keeps deciding (the same
    /// revision), the failure is counted, requests are decided, forwarded and audited as before.
    /// </summary>
    [Fact]
    public async Task PolicyBrokenAtReload_KeepsTheLastGoodPolicyCountsAndKeepsServing()
    {
        var directory = Directory.CreateTempSubdirectory("sidecar-policy-reload-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "authz.rego"), "package sidecar.authz\n\ndecision := {\"allowed\": true}\n");
            await using var bed = await PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = directory });
            var metrics = bed.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
            var failuresBefore = metrics.PolicyReloadFailures.Value;

            await File.WriteAllTextAsync(Path.Combine(directory, "authz.rego"), "package sidecar.authz\n\ndecision := {\n");

            Assert.True(await Eventually.TrueAsync(() => metrics.PolicyReloadFailures.Value > failuresBefore));
            using var client = bed.Agent("spiffe://agents.test/agent/a");
            using var response = await client.GetAsync(new Uri("/tools/demo/after-broken-edit", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/after-broken-edit", Assert.Single(bed.Upstream.Requests).Path);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public void Dispose() => _bed.Dispose();
}
