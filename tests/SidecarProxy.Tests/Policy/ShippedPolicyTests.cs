using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Cli;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Tests.Policy;

/// <summary>The policies shipped in policies/ load, pass their own Rego tests, and decide the README's first run.</summary>
public sealed class ShippedPolicyTests
{
    [Fact]
    public void PolicyTest_RunsEveryTestRule_AndAllPass()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = PolicyCommand.Run(["test", RepositoryPaths.Policies, "-v"], stdout, stderr);
        Assert.True(exit == 0, stdout + "\n" + stderr);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\d+ passed, 0 failed$", lines[^1].Trim());
        Assert.True(lines.Count(l => l.StartsWith("PASS ", StringComparison.Ordinal)) >= 15);
    }

    [Theory]
    [InlineData("GET", true, "")]
    [InlineData("POST", false, "write on tool demo requires a task grant")]
    [InlineData("DELETE", false, "may not delete on tool demo")]
    public void DevRun_DemoAgentOnDemoTool(string method, bool allowed, string reason)
    {
        var snapshot = PolicyDirectoryLoader.Load(RepositoryPaths.Policies);
        var input = PolicyInputBuilder.Build(new PolicyRequest
        {
            SpiffeId = "spiffe://sidecar.dev/agent/demo",
            CertificateFingerprint = "sha256:00",
            Time = DateTimeOffset.UtcNow,
            Method = method,
            Path = "/hello",
            Host = "127.0.0.1",
            Scheme = "https",
            ToolId = "demo",
            ToolLabels = new Dictionary<string, string>(),
            Query = string.Empty,
            Headers = new Dictionary<string, string>(),
        });
        var value = snapshot.Policy.Evaluate("data.sidecar.authz.decision", input);
        Assert.True(DecisionDocument.TryParse(value, out var decision, out var error), error);
        Assert.Equal(allowed, decision.Allowed);
        Assert.Contains(reason, decision.Reason, StringComparison.Ordinal);
        if (allowed)
        {
            Assert.Equal(["demo:read"], decision.Scopes);
            Assert.Equal(TimeSpan.FromSeconds(300), decision.CredentialTtl);
        }
    }

    [Fact]
    public void Eval_PrintsTheDecisionJson()
    {
        var inputFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(inputFile, PolicyInputBuilder.Build(new PolicyRequest
            {
                SpiffeId = "spiffe://sidecar.dev/agent/demo",
                CertificateFingerprint = "sha256:00",
                Time = DateTimeOffset.UtcNow,
                Method = "GET",
                Path = "/",
                Host = "127.0.0.1",
                Scheme = "https",
                ToolId = "demo",
                ToolLabels = new Dictionary<string, string>(),
                Query = string.Empty,
                Headers = new Dictionary<string, string>(),
            }).ToJson());
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var exit = PolicyCommand.Run(["eval", "--input", inputFile, RepositoryPaths.Policies], stdout, stderr);
            Assert.True(exit == 0, stderr.ToString());
            var decision = (RegoObject)RegoJson.Parse(stdout.ToString());
            Assert.Equal(RegoBoolean.True, decision["allowed"]);
        }
        finally
        {
            File.Delete(inputFile);
        }
    }

    [Fact]
    public void PolicyTest_FailingTest_IsReportedAndExitsNonZero()
    {
        var dir = Directory.CreateTempSubdirectory("policy-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "p.rego"), "package p\n\nx := 1\n");
            File.WriteAllText(Path.Combine(dir, "p_test.rego"), "package p_test\n\nimport data.p\n\ntest_ok if p.x == 1\n\ntest_bad if p.x == 2\n");
            var stdout = new StringWriter();
            var exit = PolicyCommand.Run(["test", dir], stdout, new StringWriter());
            Assert.Equal(1, exit);
            Assert.Contains("FAIL data.p_test.test_bad", stdout.ToString(), StringComparison.Ordinal);
            Assert.EndsWith("1 passed, 1 failed", stdout.ToString().Trim(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BrokenPolicy_ListsEveryErrorWithFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("policy-bad-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.rego"), "package a\n\nx := \n");
            File.WriteAllText(Path.Combine(dir, "b.rego"), "package b\n\ny if {\n  undefined_function_zz(1)\n}\n");
            File.WriteAllText(Path.Combine(dir, "data.json"), "{not json");
            var e = Assert.Throws<PolicyLoadException>(() => PolicyDirectoryLoader.Load(dir));
            Assert.Contains(e.Errors, m => m.StartsWith("data.json: invalid JSON", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DataFiles_AreMountedAtTheirFolderPath()
    {
        var dir = Directory.CreateTempSubdirectory("policy-data-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "teams", "a"));
            File.WriteAllText(Path.Combine(dir, "p.rego"), "package p\n\nv := data.teams.a.owner\n");
            File.WriteAllText(Path.Combine(dir, "teams", "a", "data.yaml"), "owner: alice\n");
            File.WriteAllText(Path.Combine(dir, "data.json"), "{\"top\": 1}");
            var snapshot = PolicyDirectoryLoader.Load(dir);
            Assert.Equal(new RegoString("alice"), snapshot.Policy.Evaluate("data.p.v", null));
            Assert.Equal(RegoNumber.One, snapshot.Policy.Evaluate("data.top", null));

            var again = PolicyDirectoryLoader.Load(dir);
            Assert.Equal(snapshot.Revision, again.Revision);
            File.AppendAllText(Path.Combine(dir, "p.rego"), "\nw := 2\n");
            Assert.NotEqual(snapshot.Revision, PolicyDirectoryLoader.Load(dir).Revision);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
