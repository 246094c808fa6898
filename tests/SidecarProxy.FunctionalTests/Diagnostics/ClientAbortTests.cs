using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.FunctionalTests.Policy;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.FunctionalTests.Diagnostics;

/// <summary>
/// The agent gives up while the embedded engine is evaluating a (deliberately endless) policy. The engine notices
/// the cancellation and throws eval_cancel_error, as under load: that must not be a 500 or an error log, but a client
/// abort, counted and audited as aborted; nothing is forwarded.
/// </summary>
public sealed class ClientAbortTests : IDisposable
{
    private const string Agent = "spiffe://agents.test/agent/a";

    // A cross product of two long ranges: far longer than the test will wait, but interrupted by cancellation.
    private const string EndlessPolicy = """
        package sidecar.authz

        import rego.v1

        decision := {"allowed": count([x | some i in numbers.range(1, 1000000); some j in numbers.range(1, 1000000); x := i * j]) > 0}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-abort-").FullName;

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task AbortDuringEvaluation_IsAClientAbort_NotA500(string httpVersion)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "endless.rego"), EndlessPolicy);
        var auditPath = Path.Combine(_directory, "audit.jsonl");
        var logs = new CapturingLoggerProvider();
        var engine = new SignallingEngine();
        await using var proxy = await PolicyProxy.StartAsync(
            new()
            {
                ["Sidecar:Policy:Directory"] = _directory,
                ["Sidecar:Policy:Timeout"] = "00:00:30",
                ["Sidecar:Audit:Path"] = auditPath,
                ["Logging:LogLevel:Default"] = "Information",
            },
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                s.AddSingleton<IPolicyDecisionPoint>(sp =>
                {
                    engine.Inner = new EmbeddedPolicyEngine(
                        new PolicyOptions { Directory = _directory, Timeout = TimeSpan.FromSeconds(30) },
                        sp.GetRequiredService<ILogger<EmbeddedPolicyEngine>>(),
                        TimeProvider.System);
                    return new EnginePolicyDecisionPoint(
                        engine, new PolicyOptions(), sp.GetRequiredService<SidecarMetrics>(), sp.GetRequiredService<ILogger<EnginePolicyDecisionPoint>>());
                });
            });
        var metrics = proxy.Proxy.App.Services.GetRequiredService<SidecarMetrics>();
        using var client = proxy.Agent(Agent);
        using var abort = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/tools/demo/slow", UriKind.Relative))
        {
            Version = Version.Parse(httpVersion),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var sent = client.SendAsync(request, abort.Token);
        await engine.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        abort.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sent);

        // The evaluation ends (cancelled) and the request is recorded; wait for its audit line, bounded.
        // (FirstOrDefault of JsonElements is an Undefined element, not null: select into a nullable first.)
        JsonElement? line = null;
        await Eventually.TrueAsync(() =>
        {
            line = ReadAudit(auditPath).Select(l => (JsonElement?)l).FirstOrDefault(l => l!.Value.GetProperty("path").GetString() == "/tools/demo/slow");
            return line is not null;
        }, TimeSpan.FromSeconds(30));

        Assert.NotNull(line);
        Assert.Equal(("aborted", "client_aborted", 499),
            (line.Value.GetProperty("decision").GetString(), line.Value.GetProperty("reason").GetString(), line.Value.GetProperty("status").GetInt32()));
        Assert.True(engine.Cancelled);
        Assert.Equal(1, metrics.ClientAborts.WithLabels("policy").Value);
        Assert.Equal(0, metrics.PolicyEvalErrors.WithLabels("eval_cancel_error").Value);
        Assert.Equal(0, metrics.Requests.WithLabels("demo", "error", "500").Value);
        Assert.Empty(proxy.Upstream.Requests);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
        engine.Inner.Dispose();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<JsonElement> ReadAudit(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>The embedded engine, telling the test when an evaluation has started and whether it was cancelled.</summary>
    private sealed class SignallingEngine : IPolicyEngine
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EmbeddedPolicyEngine Inner { get; set; } = null!;

        public Task Entered => _entered.Task;

        public bool Cancelled { get; private set; }

        public string Name => Inner.Name;

        public string Revision => Inner.Revision;

        public bool IsReady => true;

        public async ValueTask<PolicyEngineResult> EvaluateAsync(RegoValue input, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();

            // Off the request's thread, as under load: the evaluation runs until it sees the cancellation.
            try
            {
                return await Task.Run(async () => await Inner.EvaluateAsync(input, cancellationToken), CancellationToken.None);
            }
            catch (PolicyEngineException)
            {
                Cancelled = cancellationToken.IsCancellationRequested;
                throw;
            }
        }
    }
}
