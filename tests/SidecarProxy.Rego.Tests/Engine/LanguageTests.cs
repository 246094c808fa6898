using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

public sealed class LanguageTests
{
    [Fact]
    public void UndefinedRule_IsNull_NotFalse()
    {
        var p = Compile("""
            package t
            p if input.x == 1
            default q := false
            q if input.x == 1
            r if not p
            """);
        Assert.Null(p.Eval("data.t.p", """{"x": 2}"""));
        AssertValue("false", p.Eval("data.t.q", """{"x": 2}"""));
        AssertValue("true", p.Eval("data.t.r", """{"x": 2}"""));
        AssertValue("true", p.Eval("data.t.p", """{"x": 1}"""));
        Assert.Null(p.Eval("data.t.r", """{"x": 1}"""));
    }

    [Fact]
    public void FalseValuedExpression_FailsTheBody()
    {
        var p = Compile("""
            package t
            p if input.flag
            """);
        Assert.Null(p.Eval("data.t.p", """{"flag": false}"""));
        AssertValue("true", p.Eval("data.t.p", """{"flag": "yes"}"""));
    }

    [Fact]
    public void CompleteRuleConflict_IsEvalConflictError()
    {
        var p = Compile("""
            package t
            p := 1 if input.a
            p := 2 if input.b
            """);
        AssertValue("1", p.Eval("data.t.p", """{"a": true}"""));
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.p", """{"a": true, "b": true}"""));
        Assert.Equal("eval_conflict_error", e.Code);
        Assert.Contains("complete rules must not produce multiple outputs", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("policy.rego:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PartialObjectConflict_IsObjectKeysMustBeUnique()
    {
        var p = Compile("""
            package t
            o[k] := v if { some k, v in input }
            o["a"] := 99 if true
            """);
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.o", """{"a": 1}"""));
        Assert.Equal("eval_conflict_error", e.Code);
    }

    [Fact]
    public void PartialSetsObjectsAndRefHeads_BuildDocuments()
    {
        var p = Compile("""
            package t
            s contains x if { some x in input.xs; x != "b" }
            o[x] := true if { some x in input.xs }
            a.b[x].c := 1 if { some x in input.xs }
            a.b.fixed.c := 2
            """);
        var input = """{"xs": ["a", "b"]}""";
        AssertValue("""["a"]""", ToJsonShape(p.Eval("data.t.s", input)));
        AssertValue("""{"a": true, "b": true}""", p.Eval("data.t.o", input));
        AssertValue("""{"b": {"a": {"c": 1}, "b": {"c": 1}, "fixed": {"c": 2}}}""", p.Eval("data.t.a", input));
        AssertValue("2", p.Eval("data.t.a.b.fixed.c", input));
    }

    [Fact]
    public void ElseChain_TakesFirstMatchingBranch()
    {
        var p = Compile("""
            package t
            grade := "high" if input.n > 10
            else := "mid" if input.n > 5
            else := "low"
            """);
        AssertValue("\"high\"", p.Eval("data.t.grade", """{"n": 11}"""));
        AssertValue("\"mid\"", p.Eval("data.t.grade", """{"n": 6}"""));
        AssertValue("\"low\"", p.Eval("data.t.grade", """{"n": 1}"""));
    }

    [Fact]
    public void Functions_TryEveryDefinition_AndConflictOnDifferentOutputs()
    {
        var p = Compile("""
            package t
            kind(x) := "string" if is_string(x)
            kind(x) := "number" if is_number(x)
            kind(x) := "other" if { not is_string(x); not is_number(x) }
            bad(x) := 1
            bad(x) := 2
            f([a, b]) := [b, a]
            r := [kind("s"), kind(1), kind([])]
            swap := f([1, 2])
            conflict := bad(0)
            """);
        AssertValue("""["string", "number", "other"]""", p.Eval("data.t.r"));
        AssertValue("[2, 1]", p.Eval("data.t.swap"));
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.conflict"));
        Assert.Equal("eval_conflict_error", e.Code);
        Assert.Contains("functions must not produce multiple outputs for same inputs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comprehensions_ProduceArraysSetsObjects()
    {
        var p = Compile("""
            package t
            arr := [x | some x in input.xs; x != 2]
            st := {x | some x in input.xs}
            obj := {k: v | some k, v in input.m}
            nested := [[y | some y in input.xs; y > x] | some x in input.xs]
            """);
        var input = """{"xs": [1, 2, 3, 2], "m": {"a": 1, "b": 2}}""";
        AssertValue("[1, 3]", p.Eval("data.t.arr", input));
        Assert.Equal(RegoSet.From(RegoValue.From(1), RegoValue.From(2), RegoValue.From(3)), p.Eval("data.t.st", input));
        AssertValue("""{"a": 1, "b": 2}""", p.Eval("data.t.obj", input));
        AssertValue("[[2, 3, 2], [3], [], [3]]", p.Eval("data.t.nested", input));
    }

    [Fact]
    public void Every_HoldsForAll_VacuouslyForEmpty_UndefinedForMissingDomain()
    {
        var p = Compile("""
            package t
            all_short if every s in input.names { s != "toolong" }
            all_pairs if every k, v in input.m { k == v }
            """);
        AssertValue("true", p.Eval("data.t.all_short", """{"names": ["a", "b"]}"""));
        Assert.Null(p.Eval("data.t.all_short", """{"names": ["a", "toolong"]}"""));
        AssertValue("true", p.Eval("data.t.all_short", """{"names": []}"""));
        Assert.Null(p.Eval("data.t.all_short", "{}"));
        AssertValue("true", p.Eval("data.t.all_pairs", """{"m": {"a": "a"}}"""));
        Assert.Null(p.Eval("data.t.all_pairs", """{"m": {"a": "b"}}"""));
    }

    [Fact]
    public void In_And_SomeIn_IterateCollections()
    {
        var p = Compile("""
            package t
            member if "b" in input.xs
            kv if "a", 1 in input.m
            keys contains k if some k, _ in input.m
            """);
        var input = """{"xs": ["a", "b"], "m": {"a": 1, "c": 2}}""";
        AssertValue("true", p.Eval("data.t.member", input));
        AssertValue("true", p.Eval("data.t.kv", input));
        Assert.Equal(RegoSet.From(RegoValue.From("a"), RegoValue.From("c")), p.Eval("data.t.keys", input));
    }

    [Fact]
    public void Unification_BindsPatterns()
    {
        var p = Compile("""
            package t
            p := [a, b] if [a, 2] = [1, b]
            q := x if {"k": x} = input.o
            """);
        AssertValue("[1, 2]", p.Eval("data.t.p"));
        AssertValue("7", p.Eval("data.t.q", """{"o": {"k": 7}}"""));
    }

    [Fact]
    public void With_ReplacesInputDataAndFunctions_WithoutLeakingCache()
    {
        var p = Compile("""
            package t
            v := input.x
            limit := data.cfg.limit
            double(x) := [x, x]
            uses_double := double(1)
            a := [v, v2, lim, d] if {
                v2 := v with input.x as 5
                lim := limit with data.cfg.limit as 100
                d := uses_double with double as mock
            }
            mock(x) := "mocked"
            after_with := v
            """, """{"cfg": {"limit": 1}}""");
        AssertValue("""[1, 5, 100, "mocked"]""", p.Eval("data.t.a", """{"x": 1}"""));
        AssertValue("1", p.Eval("data.t.after_with", """{"x": 1}"""));
        AssertValue("1", p.Eval("data.t.limit"));
        var rows = p.Query("x := data.t.v with input as {\"x\": {1, 2}}", null);
        Assert.Single(rows);
        Assert.Equal(RegoSet.From(RegoValue.From(1), RegoValue.From(2)), rows[0]["x"]);
    }

    [Fact]
    public void DataDocument_MergesBaseAndVirtualDocuments()
    {
        var p = Compile("""
            package a.b
            r := 1
            f(x) := x
            """, """{"a": {"base": true}, "other": [1]}""");
        AssertValue("""{"b": {"r": 1}, "base": true}""", p.Eval("data.a"));
        AssertValue("""{"r": 1}""", p.Eval("data.a.b"));
        AssertValue("[1]", p.Eval("data.other"));
        var rows = p.Query("data.a[k]", null);
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public void DynamicDispatch_EnumeratesRules()
    {
        var p = Compile("""
            package t
            handlers.get := "reading"
            handlers.post := "writing"
            result := data.t.handlers[input.method]
            """);
        AssertValue("\"writing\"", p.Eval("data.t.result", """{"method": "post"}"""));
        Assert.Null(p.Eval("data.t.result", """{"method": "delete"}"""));
    }

    [Fact]
    public void StringInterpolation_RendersValuesAndUndefined()
    {
        var p = Compile("""
            package t
            msg := $"hello {input.name}, you are {input.age} and {input.missing}"
            raw := `a\nb`
            """);
        AssertValue("\"hello bob, you are 42 and <undefined>\"", p.Eval("data.t.msg", """{"name": "bob", "age": 42}"""));
        AssertValue("\"a\\\\nb\"", p.Eval("data.t.raw"));
    }

    [Fact]
    public void Numbers_AreExact()
    {
        var p = Compile("""
            package t
            big := 123456789012345678901234567890
            same if 1 == 1.0
            """);
        Assert.Equal("123456789012345678901234567890", p.Eval("data.t.big")!.ToString());
        AssertValue("true", p.Eval("data.t.same"));
    }

    [Fact]
    public void Query_ReturnsRowsPerSolution()
    {
        var p = Compile("""
            package t
            xs := [1, 2, 3]
            """);
        var rows = p.Query("some i; data.t.xs[i] = x; x != 2", null);
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => r["x"].Equals(RegoValue.From(1)) && r["i"].Equals(RegoValue.From(0)));
        Assert.Empty(p.Query("data.t.xs[_] = 9", null));
        var one = Assert.Single(p.Query("x := 1; y := [x, x]", null));
        Assert.Equal(RegoJson.Parse("[1, 1]"), one["y"]);
    }

    [Fact]
    public void TestRules_AreListed()
    {
        var p = RegoCompiler.Compile(
        [
            new RegoModuleSource("a.rego", "package a\nallow if true\n"),
            new RegoModuleSource("a_test.rego", "package a_test\ntest_allow if data.a.allow\ntest_other if true\nhelper := 1\n"),
        ]);
        Assert.Equal(["data.a_test.test_allow", "data.a_test.test_other"], p.TestRules.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Print_WritesToTheConfiguredWriter()
    {
        var p = Compile("""
            package t
            p if { print("value", input.x, input.missing) }
            """);
        using var writer = new StringWriter();
        AssertValue("true", p.Eval("data.t.p", """{"x": [1]}""", new EvaluationOptions { PrintOutput = writer }));
        Assert.Equal("value [1] <undefined>", writer.ToString().Trim());
    }

    [Fact]
    public void CustomBuiltins_AndStrictBuiltinErrors()
    {
        var registry = BuiltinRegistry.CreateDefault();
        registry.Add("test.double", 1, static (_, a) => RegoNumber.FromInteger(Operands.Number(a, 0).Integer * 2));
        registry.Add("test.fail", 1, static (_, _) => throw new BuiltinErrorException("always fails"));
        var p = Compile("""
            package t
            d := test.double(21)
            f if test.fail(1)
            g if not test.fail(1)
            typed if test.double("x")
            """, options: new CompileOptions { Builtins = registry });
        AssertValue("42", p.Eval("data.t.d"));
        Assert.Null(p.Eval("data.t.f"));
        AssertValue("true", p.Eval("data.t.g"));
        var strict = new EvaluationOptions { StrictBuiltinErrors = true };
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.f", null, strict));
        Assert.Equal("eval_builtin_error", e.Code);
        Assert.Contains("test.fail: always fails", e.Message, StringComparison.Ordinal);
        var te = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.typed", null, strict));
        Assert.Equal("eval_type_error", te.Code);
        Assert.Contains("operand 1 must be number but got string", te.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputTerm_MayHoldSets()
    {
        var p = Compile("""
            package t
            has_b if "b" in input.s
            """);
        var rows = p.QueryWithInputTerm("data.t.has_b = x", """{"s": {"a", "b"}}""");
        Assert.Equal(RegoBoolean.True, Assert.Single(rows)["x"]);
    }

    private static RegoValue? ToJsonShape(RegoValue? v) => v is null ? null : RegoJson.Parse(RegoJson.Serialize(v));
}
