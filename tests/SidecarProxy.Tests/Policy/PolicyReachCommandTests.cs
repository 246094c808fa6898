using System.Text.Json;
using SidecarProxy.Policy.Cli;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Policy;

/// <summary><c>policy reach</c> on the shipped policy: what an identity can reach, as a table and as JSON.</summary>
public sealed class PolicyReachCommandTests : IDisposable
{
    private const string Researcher = "spiffe://agents.example.org/agent/researcher";
    private const string Payer = "spiffe://agents.example.org/finance/payer";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = PolicyCommand.Run(["reach", .. args], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static Dictionary<(string Tool, string Action), JsonElement> Rows(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("reach").EnumerateArray()
            .ToDictionary(r => (r.GetProperty("tool").GetString()!, r.GetProperty("action").GetString()!), r => r.Clone());

    [Fact]
    public void Researcher_WithoutTask_ReadsGithubOnly()
    {
        var (exit, stdout, stderr) = Run("--principal", Researcher, "--json", RepositoryPaths.Policies);

        Assert.True(exit == 0, stderr);
        var rows = Rows(stdout);
        Assert.Equal(15, rows.Count); // 5 catalogue tools (demo, github, github-mcp, wiki, payments) x read, write, delete
        var read = rows[("github", "read")];
        Assert.True(read.GetProperty("allowed").GetBoolean());
        Assert.Equal("GET", read.GetProperty("method").GetString());
        Assert.Equal(["contents:read", "issues:read"], read.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(300, read.GetProperty("ttl_seconds").GetInt32());
        Assert.False(read.GetProperty("require_approval").GetBoolean());
        // Reads only, without a task: github, github-mcp and wiki.
        Assert.Equal(3, rows.Values.Count(r => r.GetProperty("allowed").GetBoolean()));
        Assert.Contains("requires a task grant", rows[("github", "write")].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("DELETE", rows[("github", "delete")].GetProperty("method").GetString());
    }

    [Fact]
    public void Researcher_WithTask_AlsoWritesGithub_AndTheTableSaysSo()
    {
        var claims = _dir.Write("claims.json", """{"task_id": "t-9", "iss": "orchestrator"}""");

        var (exit, stdout, _) = Run("--principal", Researcher, "--task-claims", claims, RepositoryPaths.Policies);

        Assert.Equal(0, exit);
        Assert.Contains($"principal {Researcher} (task t-9)", stdout, StringComparison.Ordinal);
        var write = stdout.Split('\n').Single(l => l.StartsWith("github ", StringComparison.Ordinal) && l.Contains(" write ", StringComparison.Ordinal));
        Assert.Contains("yes", write, StringComparison.Ordinal);
        Assert.Contains("issues:write", write, StringComparison.Ordinal);
        var delete = stdout.Split('\n').Single(l => l.StartsWith("github ", StringComparison.Ordinal) && l.Contains(" delete ", StringComparison.Ordinal));
        Assert.Contains("required", delete, StringComparison.Ordinal);
        var wikiDelete = stdout.Split('\n').Single(l => l.StartsWith("wiki ", StringComparison.Ordinal) && l.Contains(" delete ", StringComparison.Ordinal));
        Assert.Contains("[would quarantine task]", wikiDelete, StringComparison.Ordinal);
        Assert.Contains("6 of 15 allowed, 2 after approval", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void FinancePayer_WithTaskAndConfig_NeedsApprovalOnPayments_AndSeesTheRoutesTools()
    {
        var claims = _dir.Write("claims.json", """{"jti": "t-pay", "iss": "orchestrator", "purpose": "refunds"}""");
        var config = _dir.Write("appsettings.json", """
            { "ReverseProxy": { "Routes": {
                "pay": { "ClusterId": "pay", "Match": { "Path": "/pay/{**rest}" }, "Metadata": { "Tool": "payments" } },
                "ledger": { "ClusterId": "ledger", "Metadata": { "Tool": "ledger", "Labels.never_delete": "true" } } } } }
            """);

        var (exit, stdout, stderr) = Run("-p", Payer, "-t", claims, "-c", config, "--json", RepositoryPaths.Policies);

        Assert.True(exit == 0, stderr);
        var rows = Rows(stdout);
        Assert.Equal("t-pay", JsonDocument.Parse(stdout).RootElement.GetProperty("task_id").GetString());
        Assert.Equal(18, rows.Count); // the 5 catalogue tools and ledger (from the routes), x 3 actions
        foreach (var action in new[] { "read", "write" })
        {
            var row = rows[("payments", action)];
            Assert.False(row.GetProperty("allowed").GetBoolean());
            Assert.True(row.GetProperty("require_approval").GetBoolean());
        }

        Assert.False(rows[("payments", "delete")].GetProperty("require_approval").GetBoolean());
        Assert.DoesNotContain(rows.Values, r => r.GetProperty("allowed").GetBoolean());
        Assert.Equal("quarantine task", rows[("ledger", "delete")].GetProperty("contain").GetString());
    }

    [Theory]
    [InlineData(new string[0], "needs --principal")]
    [InlineData(new[] { "--principal", "spiffe://agents.example.org" }, "not the SPIFFE ID of a workload")]
    [InlineData(new[] { "--principal", "not-a-spiffe-id" }, "not the SPIFFE ID of a workload")]
    [InlineData(new[] { "--principal", Researcher, "--task-claims", "/nonexistent/claims.json" }, "cannot read")]
    public void UsageErrors_Exit2(string[] args, string message)
    {
        var (exit, _, stderr) = Run([.. args, RepositoryPaths.Policies]);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_DescribesTheCommand()
    {
        var (exit, stdout, _) = Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("--task-claims", stdout, StringComparison.Ordinal);
    }
}
