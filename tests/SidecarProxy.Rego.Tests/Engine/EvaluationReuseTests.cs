using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

/// <summary>
/// The evaluator's allocation-saving paths: bodies run without continuations (bindings undone through a trail),
/// recycled frames and argument arrays, and evaluation state reused by the next evaluation on the same thread.
/// </summary>
public sealed class EvaluationReuseTests
{
    [Fact]
    public void BindingsOfAFailedBranch_DoNotLeakIntoItsElse()
    {
        var p = Compile("""
            package t
            r := s if {
                s := input.n * 2
                s > 10
            } else := s if {
                s := input.n + 100
            }

            f(x) := y if {
                y := x * 2
                y > 10
            } else := y if {
                y := x + 100
            }

            g := f(input.n)
            """);
        AssertValue("12", p.Eval("data.t.r", """{"n": 6}"""));
        AssertValue("101", p.Eval("data.t.r", """{"n": 1}"""));
        AssertValue("12", p.Eval("data.t.g", """{"n": 6}"""));
        AssertValue("101", p.Eval("data.t.g", """{"n": 1}"""));
    }

    [Fact]
    public void BodyThatStartsDeterministic_ThenEnumerates_YieldsEverySolution()
    {
        var p = Compile("""
            package t
            q contains [a, b] if {
                a := input.n * 2
                some b in input.xs
                b > a
            }

            c := count(q)

            first(n) := b if {
                a := n * 2
                some b in input.xs
                b == a + 1
            }

            h := first(input.n)
            """);
        var input = """{"n": 2, "xs": [1, 5, 9, 4]}""";
        AssertValue("[[4, 5], [4, 9]]", ToArray(p.Eval("data.t.q", input)));
        AssertValue("2", p.Eval("data.t.c", input));
        AssertValue("5", p.Eval("data.t.h", input));
    }

    [Fact]
    public void FunctionParameters_MayBeConstantsRepeatedVariablesOrPatterns()
    {
        var p = Compile("""
            package t
            kind(0) := "zero"
            kind(x) := "other" if x != 0

            same(x, x) := true

            sum([a, b]) := a + b

            k0 := kind(0)
            k1 := kind(input.n)
            s1 := same(input.n, input.n)
            s2 := same(input.n, 7)
            t := sum([input.n, 2])
            """);
        var input = """{"n": 3}""";
        AssertValue("\"zero\"", p.Eval("data.t.k0", input));
        AssertValue("\"other\"", p.Eval("data.t.k1", input));
        AssertValue("true", p.Eval("data.t.s1", input));
        Assert.Null(p.Eval("data.t.s2", input));
        AssertValue("5", p.Eval("data.t.t", input));
    }

    [Fact]
    public void FunctionWithTwoOutputs_IsStillAConflict()
    {
        var p = Compile("""
            package t
            f(x) := 1 if x > 0
            f(x) := 2 if x > 1
            v := f(input.n)
            """);
        AssertValue("1", p.Eval("data.t.v", """{"n": 1}"""));
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.v", """{"n": 2}"""));
        Assert.Equal("eval_conflict_error", e.Code);
    }

    [Fact]
    public void NegationOfABindingLiteral_UndoesItsBindings()
    {
        var p = Compile("""
            package t
            p if {
                not input.x = 1
                y := 2
                y == 2
            }

            q if {
                x := 5
                not x = input.v
            }
            """);
        AssertValue("true", p.Eval("data.t.p", """{"x": 2}"""));
        Assert.Null(p.Eval("data.t.p", """{"x": 1}"""));
        AssertValue("true", p.Eval("data.t.q", """{"v": 4}"""));
        Assert.Null(p.Eval("data.t.q", """{"v": 5}"""));
    }

    [Fact]
    public void EvaluationAfterAFailedOne_StartsClean()
    {
        var p = Compile("""
            package t
            x := 1 if input.conflict
            x := 2 if input.conflict
            y := input.v
            z := [y, w] if w := input.v + 1
            """);
        for (var i = 0; i < 3; i++)
        {
            var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.x", """{"conflict": true}"""));
            Assert.Equal("eval_conflict_error", e.Code);
            AssertValue($"{i}", p.Eval("data.t.y", $$"""{"v": {{i}}}"""));
            AssertValue($"[{i}, {i + 1}]", p.Eval("data.t.z", $$"""{"v": {{i}}}"""));
        }
    }

    [Fact]
    public void StepBudgetExceeded_ThenTheNextEvaluationHasAFreshBudget()
    {
        var p = Compile("""
            package t
            n := count([x | some x in numbers.range(1, 2000)])
            """);
        var tight = new EvaluationOptions { MaxSteps = 100 };
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.n", null, tight));
        Assert.Equal("eval_cancel_error", e.Code);
        AssertValue("2000", p.Eval("data.t.n", null, new EvaluationOptions { MaxSteps = 100_000 }));
    }

    [Fact]
    public void NestedEvaluationOnTheSameThread_HasItsOwnState()
    {
        CompiledPolicy? inner = null;
        var registry = BuiltinRegistry.CreateDefault();
        registry.Add("test.inner", 1, (_, a) => inner!.Evaluate("data.t.v", a[0]));
        var p = Compile("""
            package t
            v := input.n * 10
            outer := [v, test.inner({"n": input.n + 1}), v]
            """, options: new CompileOptions { Builtins = registry });
        inner = p;
        AssertValue("[10, 20, 10]", p.Eval("data.t.outer", """{"n": 1}"""));
        AssertValue("[30, 40, 30]", p.Eval("data.t.outer", """{"n": 3}"""));
    }

    [Fact]
    public void TwoPoliciesOnOneThread_DoNotShareState()
    {
        var a = Compile("""
            package t
            v := input.n + 1
            """);
        var b = Compile("""
            package t
            w := input.n + 2
            v := w * 100
            """);
        for (var i = 0; i < 3; i++)
        {
            AssertValue($"{i + 1}", a.Eval("data.t.v", $$"""{"n": {{i}}}"""));
            AssertValue($"{(i + 2) * 100}", b.Eval("data.t.v", $$"""{"n": {{i}}}"""));
        }
    }

    [Fact]
    public void ConcurrentEvaluations_EachSeeTheirOwnInput()
    {
        var p = Compile("""
            package t
            f(x) := y if y := x * 3
            s contains f(v) if some v in input.xs
            d := {"n": input.n, "s": sort(s), "m": f(input.n)}
            """);
        var failures = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (var i = 0; i < 200; i++)
            {
                var n = (t * 1000) + i;
                var s = n == 1 ? "[3]" : n == 0 ? "[0, 3]" : $"[3, {n * 3}]";
                var want = Json($$"""{"n": {{n}}, "s": {{s}}, "m": {{n * 3}}}""");
                if (!want.Equals(p.Eval("data.t.d", $$"""{"n": {{n}}, "xs": [{{n}}, 1]}""")))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
    }

    [Theory]
    [InlineData("*", "[\"/\"]", "a.b", true)]
    [InlineData("*", "[]", "a.b", false)]
    [InlineData("*", "null", "a.b", true)]
    [InlineData("*", "[\".\", \"/\"]", "a/b", false)]
    [InlineData("*", "[\"x\"]", "a/b", true)]
    [InlineData("*", "[\"/\", \".\"]", "a.b", false)]
    public void GlobMatch_CachesPerPatternAndDelimiters(string pattern, string delimiters, string subject, bool want)
    {
        // The same pattern with different delimiters, one after the other: each must get its own compiled form.
        var p = Compile($$"""
            package t
            m := glob.match({{Quote(pattern)}}, {{delimiters}}, {{Quote(subject)}})
            """);
        AssertValue(want ? "true" : "false", p.Eval("data.t.m"));
    }

    [Fact]
    public void GlobMatch_BadDelimiter_IsStillAnError()
    {
        var p = Compile("""
            package t
            m := glob.match("*", ["ab"], "x")
            """);
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.m", null, new EvaluationOptions { StrictBuiltinErrors = true }));
        Assert.Equal("eval_type_error", e.Code);
    }

    [Fact]
    public void ConstantCollections_AreFoldedWithoutChangingResults()
    {
        var p = Compile("""
            package t
            actions := {"GET": "read", "POST": "write"}
            a := actions[input.m]
            in_set if input.m in {"GET", "HEAD", "GET"}
            dup := {"k": 1, "k": 2}
            """);
        AssertValue("\"write\"", p.Eval("data.t.a", """{"m": "POST"}"""));
        AssertValue("true", p.Eval("data.t.in_set", """{"m": "HEAD"}"""));
        Assert.Null(p.Eval("data.t.in_set", """{"m": "PUT"}"""));
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.dup"));
        Assert.Equal("eval_conflict_error", e.Code);
    }

    [Fact]
    public void SmallObjectLiterals_BehaveLikeParsedObjects()
    {
        var p = Compile("""
            package t
            o := {"b": input.b, "a": 1, "c": [input.b], 2: "two", 1.0: "one"}
            d := {"k": input.b, "k": input.b}
            n := count(o)
            get_b := o.b
            get_num := o[1]
            keys := [k | some k, _ in o]
            same if o == {"a": 1, "b": input.b, "c": [input.b], 1: "one", 2: "two"}
            as_key := {o: 1}[{"a": 1, "b": input.b, "c": [input.b], 1: "one", 2: "two"}]
            merged := object.union(o, {"a": 5})
            """);
        var input = """{"b": "x"}""";
        var o = Assert.IsType<RegoObject>(p.Eval("data.t.o", input));
        var parsed = CompiledPolicy.ParseValue("""{"a": 1, "b": "x", "c": ["x"], 1: "one", 2: "two"}""");
        Assert.Equal(parsed, o);
        Assert.Equal(o, parsed);
        Assert.Equal(parsed.GetHashCode(), o.GetHashCode());
        Assert.Equal(0, o.CompareTo(parsed));
        Assert.Equal("{1: \"one\", 2: \"two\", \"a\": 1, \"b\": \"x\", \"c\": [\"x\"]}", o.ToString());
        Assert.True(o.TryGetValue("b", out var b) && b.Equals(RegoValue.From("x")));
        Assert.False(o.TryGetValue("z", out _));
        Assert.Equal(RegoValue.From("one"), o[RegoNumber.FromLong(1)]);
        Assert.True(o.ContainsKey(RegoValue.From("c")));
        Assert.Equal(6, o.With(RegoValue.From("z"), RegoValue.Null).Count);
        Assert.Equal(5, o.ToDictionary().Count);
        AssertValue("""{"k": "x"}""", p.Eval("data.t.d", input));
        AssertValue("5", p.Eval("data.t.n", input));
        AssertValue("\"x\"", p.Eval("data.t.get_b", input));
        AssertValue("\"one\"", p.Eval("data.t.get_num", input));
        AssertValue("""[1, 2, "a", "b", "c"]""", p.Eval("data.t.keys", input));
        AssertValue("true", p.Eval("data.t.same", input));
        AssertValue("1", p.Eval("data.t.as_key", input));
        Assert.Equal(RegoNumber.FromLong(5), Assert.IsType<RegoObject>(p.Eval("data.t.merged", input))["a"]);
    }

    [Fact]
    public void SmallObjectLiteral_WithAKeyTwiceAndTwoValues_IsAConflict()
    {
        var p = Compile("""
            package t
            o := {"k": input.a, "j": 0, "k": input.b}
            """);
        AssertValue("""{"j": 0, "k": 1}""", p.Eval("data.t.o", """{"a": 1, "b": 1}"""));
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.o", """{"a": 1, "b": 2}"""));
        Assert.Equal("eval_conflict_error", e.Code);
    }

    [Fact]
    public void DeepChainOfRules_OnASmallStack_FailsCleanly()
    {
        // Each rule depends on the next: evaluation nests once per rule. On a small stack that must end in an
        // evaluation error, not in a stack overflow that kills the process.
        const int depth = 20_000;
        var module = new System.Text.StringBuilder("package t\n");
        for (var i = 0; i < depth; i++)
        {
            module.Append(System.Globalization.CultureInfo.InvariantCulture, $"p{i} := p{i + 1} + 1\n");
        }

        module.Append(System.Globalization.CultureInfo.InvariantCulture, $"p{depth} := 0\n");
        var p = Compile(module.ToString());
        Exception? caught = null;
        RegoValue? value = null;
        var thread = new Thread(() =>
        {
            try
            {
                value = p.Eval("data.t.p0");
            }
            catch (Exception e)
            {
                caught = e;
            }
        }, maxStackSize: 512 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
        Assert.Null(value);
        var error = Assert.IsType<RegoEvaluationException>(caught);
        Assert.Equal("eval_internal_error", error.Code);

        // The same policy evaluates on a thread with room enough: the chain itself is fine.
        AssertValue("3", p.Eval($"data.t.p{depth - 3}"));
    }

    private static string Quote(string s) => RegoValue.From(s).ToString();

    private static RegoValue? ToArray(RegoValue? set) => set is RegoSet s ? new RegoArray(s.Items.ToArray()) : set;
}
