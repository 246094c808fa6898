using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

public sealed class RobustnessTests
{
    private const string Pathological = """
        package t
        explode := [[a, b, c] | some a in data.xs; some b in data.xs; some c in data.xs]
        """;

    private static string ManyNumbers() => "{\"xs\": [" + string.Join(',', Enumerable.Range(0, 500)) + "]}";

    [Fact]
    public void StepBudget_StopsPathologicalPolicy()
    {
        var p = Compile(Pathological, ManyNumbers());
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.explode", null, new EvaluationOptions { MaxSteps = 100_000 }));
        Assert.Equal("eval_cancel_error", e.Code);
    }

    [Fact]
    public void Cancellation_StopsEvaluation()
    {
        var p = Compile(Pathological, ManyNumbers());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.explode", null, new EvaluationOptions { CancellationToken = cts.Token }));
        Assert.Equal("eval_cancel_error", e.Code);
    }

    [Fact]
    public void Timeout_StopsEvaluation()
    {
        var p = Compile(Pathological, ManyNumbers());
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.explode", null, new EvaluationOptions { Timeout = TimeSpan.FromMilliseconds(50) }));
        Assert.Equal("eval_cancel_error", e.Code);
    }

    [Fact]
    public void SamePolicy_FromManyThreads_GivesTheSameAnswers()
    {
        var p = Compile("""
            package t
            allowed contains u if { some u in input.users; data.roles[u] == "admin" }
            decision := {"n": count_allowed, "who": allowed} if count_allowed := count_of(allowed)
            count_of(s) := n if n := sum_ones([1 | some _ in s])
            sum_ones(xs) := [x | some x in xs] if true
            """, """{"roles": {"ann": "admin", "bob": "user", "cid": "admin"}}""");
        var inputs = Enumerable.Range(0, 16).Select(i => RegoJson.Parse(i % 2 == 0 ? """{"users": ["ann", "bob"]}""" : """{"users": ["bob", "cid", "ann"]}""")).ToArray();
        var expected = inputs.Select(i => p.Evaluate("data.t.decision", i)).ToArray();
        var failures = 0;
        Parallel.For(0, 800, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            var idx = n % inputs.Length;
            var actual = p.Evaluate("data.t.decision", inputs[idx]);
            if (actual is null || !actual.Equals(expected[idx]))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
        Assert.NotEqual(expected[0], expected[1]);
    }
}
