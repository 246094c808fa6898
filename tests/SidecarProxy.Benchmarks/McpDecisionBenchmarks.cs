using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;

namespace SidecarProxy.Benchmarks;

/// <summary>
/// The MCP decision overhead on the shipped policy (policies/, embedded engine), route <c>github-mcp</c>: a plain
/// POST decided as an HTTP request, against a <c>tools/call</c> of <c>list_issues</c> as the MCP stage decides it
/// (parse the JSON-RPC body, build <c>input.mcp</c> with the arguments, decide). Both are allowed by the policy.
/// </summary>
[MemoryDiagnoser]
public class McpDecisionBenchmarks
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"list_issues","arguments":{"repo":"acme/app","state":"open","per_page":50}}}""");

    private PolicyRequest _request = null!;
    private EmbeddedPolicyEngine _engine = null!;
    private EnginePolicyDecisionPoint _decisionPoint = null!;

    [GlobalSetup]
    public void Setup()
    {
        _request = new PolicyRequest
        {
            SpiffeId = "spiffe://agents.example.org/agent/researcher",
            CertificateFingerprint = "sha256:" + new string('a', 64),
            ToolId = "github-mcp",
            ToolLabels = new Dictionary<string, string>(),
            Method = "GET",
            Path = "/mcp",
            Query = string.Empty,
            Host = "127.0.0.1:15443",
            Scheme = "https",
            Headers = new Dictionary<string, string>
            {
                ["accept"] = "application/json, text/event-stream",
                ["content-type"] = "application/json",
                ["mcp-protocol-version"] = "2025-11-25",
            },
            Time = DateTimeOffset.UtcNow,
        };
        var options = new PolicyOptions { Directory = BenchmarkPaths.Policies };
        _engine = new EmbeddedPolicyEngine(options, NullLogger<EmbeddedPolicyEngine>.Instance, TimeProvider.System);
        _decisionPoint = new EnginePolicyDecisionPoint(_engine, options, new SidecarMetrics(), NullLogger<EnginePolicyDecisionPoint>.Instance);
        if (!PlainRequest() || !McpToolsCall())
        {
            throw new InvalidOperationException("the shipped policy should allow both benchmark requests");
        }
    }

    /// <summary>A plain request through the same route: input built and decided.</summary>
    [Benchmark(Baseline = true)]
    public bool PlainRequest() => Wait(_decisionPoint.DecideAsync(_request, CancellationToken.None)).Allowed;

    /// <summary>A <c>tools/call</c>: JSON-RPC parse and validation, <c>input.mcp</c>, decision.</summary>
    [Benchmark]
    public bool McpToolsCall()
    {
        var message = JsonRpcParser.Parse(Body, out _, out _, out _, out _)![0];
        var parameters = message.Params!.Value;
        var mcp = new McpContext
        {
            ProtocolVersion = "2025-11-25",
            Method = message.Method,
            Id = message.Id,
            Name = message.ParamString("name"),
            Arguments = parameters.TryGetProperty("arguments", out var arguments) ? arguments : (JsonElement?)null,
            Phase = McpContext.PhaseCall,
        };
        return Wait(_decisionPoint.DecideAsync(_request with { Method = "POST", Mcp = mcp }, CancellationToken.None)).Allowed;
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    private static T Wait<T>(ValueTask<T> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
