using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego.Values;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Benchmarks;

/// <summary>
/// The policy stage per request, on the shipped policy (policies/) with the embedded engine: building the input
/// document, evaluating the decision rule, and the whole decision point (input + evaluation + strict parse + metric).
/// The request is the demo agent reading the demo tool, which the shipped policy allows.
/// </summary>
[MemoryDiagnoser]
public class PolicyDecisionBenchmarks
{
    private PolicyRequest _request = null!;
    private RegoObject _input = null!;
    private EmbeddedPolicyEngine _engine = null!;
    private EnginePolicyDecisionPoint _decisionPoint = null!;
    private RegoValue? _decisionValue;

    [GlobalSetup]
    public void Setup()
    {
        _request = new PolicyRequest
        {
            SpiffeId = "spiffe://sidecar.dev/agent/demo",
            CertificateFingerprint = "sha256:" + new string('a', 64),
            ToolId = "demo",
            ToolLabels = new Dictionary<string, string> { ["risk"] = "low" },
            Method = "GET",
            Path = "/repos/acme/app/issues",
            Query = "?state=open&per_page=50",
            Host = "127.0.0.1:15443",
            Scheme = "https",
            Headers = new Dictionary<string, string>
            {
                ["accept"] = "application/json",
                ["user-agent"] = "agent/1.0",
                ["content-type"] = "application/json",
                ["x-request-id"] = "3f1c2a9e-7d4b-4f0a-9c1e-2b8d6a5f4e3c",
            },
            Time = DateTimeOffset.UtcNow,
        };
        _input = EnginePolicyDecisionPoint.BuildInput(_request);
        var options = new PolicyOptions { Directory = BenchmarkPaths.Policies };
        _engine = new EmbeddedPolicyEngine(options, NullLogger<EmbeddedPolicyEngine>.Instance, TimeProvider.System);
        _decisionPoint = new EnginePolicyDecisionPoint(_engine, options, new SidecarMetrics(), NullLogger<EnginePolicyDecisionPoint>.Instance);
        _decisionValue = _engine.EvaluateAsync(_input, CancellationToken.None).AsTask().GetAwaiter().GetResult().Value;
        var decision = _decisionPoint.DecideAsync(_request, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (!decision.Allowed)
        {
            throw new InvalidOperationException("the shipped policy should allow the benchmark request: " + decision.Reason);
        }
    }

    [Benchmark]
    public RegoObject BuildInput() => EnginePolicyDecisionPoint.BuildInput(_request);

    [Benchmark]
    public RegoValue? EvaluateShippedPolicy() => Wait(_engine.EvaluateAsync(_input, CancellationToken.None)).Value;

    [Benchmark]
    public bool DecideShippedPolicy() => Wait(_decisionPoint.DecideAsync(_request, CancellationToken.None)).Allowed;

    /// <summary>The strict parse of the decision value into a decision.</summary>
    [Benchmark]
    public bool ParseDecisionDocument() => DecisionDocument.TryParse(_decisionValue, out _, out _);

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    // The engine completes synchronously, and that path is what is measured: its result is read without a Task.
    // One that did not complete is waited for through a Task.
    private static T Wait<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
