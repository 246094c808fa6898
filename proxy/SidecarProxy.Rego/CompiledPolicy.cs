using System.Collections.Concurrent;
using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Compiler;
using SidecarProxy.Rego.Eval;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego;

/// <summary>
/// A compiled policy: immutable and thread-safe; evaluate it concurrently from many threads.
/// Each evaluation has its own state (virtual document cache, bindings), so evaluations never interfere.
/// </summary>
public sealed class CompiledPolicy
{
    // Compiled paths and queries are cached, but never without bound (callers may pass arbitrary text).
    private const int MaxCachedCompilations = 1024;

    private readonly PolicyModel _model;
    private readonly BuiltinRegistry _builtins;
    private readonly ConcurrentDictionary<string, TNode> _paths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CompiledQuery> _queries = new(StringComparer.Ordinal);

    internal CompiledPolicy(PolicyModel model, BuiltinRegistry builtins, IReadOnlyList<string> testRules)
    {
        _model = model;
        _builtins = builtins;
        TestRules = testRules;
    }

    /// <summary>The base documents (data) the policy was compiled with.</summary>
    public RegoValue Data => _model.BaseData;

    /// <summary>Full paths of every rule named test_* (for <c>policy test</c>).</summary>
    public IReadOnlyList<string> TestRules { get; }

    /// <summary>Evaluates a ref such as <c>data.sidecar.authz.decision</c>. Returns null when undefined.</summary>
    public RegoValue? Evaluate(string path, RegoValue? input, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!_paths.TryGetValue(path, out var node))
        {
            node = CompilePath(path);
            if (_paths.Count < MaxCachedCompilations)
            {
                node = _paths.GetOrAdd(path, node);
            }
        }

        return Run(input, options, node, static (c, n) => n.FirstValue(c, []));
    }

    /// <summary>Runs a query body; each row maps the query's variables to values. An empty list means undefined.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, RegoValue>> Query(string query, RegoValue? input, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!_queries.TryGetValue(query, out var q))
        {
            q = CompileQuery(query);
            if (_queries.Count < MaxCachedCompilations)
            {
                q = _queries.GetOrAdd(query, q);
            }
        }

        return Run(input, options, q, static (c, query) => query.Run(c));
    }

    /// <summary>Like <see cref="Query(string, RegoValue?, EvaluationOptions?)"/> with the input written as a Rego term (it may hold sets).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, RegoValue>> QueryWithInputTerm(string query, string inputTerm, EvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputTerm);
        return Query(query, ParseValue(inputTerm), options);
    }

    /// <summary>Parses a ground Rego term (e.g. <c>{"a": {1, 2}}</c>) into a value.</summary>
    public static RegoValue ParseValue(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        Term t;
        try
        {
            t = Parser.ParseTerm("input", term);
        }
        catch (RegoSyntaxException e)
        {
            throw new RegoCompileException([new RegoError("rego_parse_error", e.Message, "input", e.Line, e.Column)]);
        }

        var compiler = PolicyCompiler.Create(BuiltinRegistry.Default);
        TNode node;
        try
        {
            node = compiler.CompileStandaloneTerm(t);
        }
        catch (CompileErrorException e)
        {
            throw new RegoCompileException([e.Error]);
        }

        var model = new PolicyModel { Root = compiler.Root, BaseData = RegoObject.Empty };
        var ctx = new EvalContext(model, null, new BuiltinContext(DateTimeOffset.UtcNow), null, null, CancellationToken.None);
        RegoValue? result = null;
        node.Eval(ctx, [], v =>
        {
            result = v;
            return false;
        });
        return result ?? throw new RegoCompileException([new RegoError("rego_compile_error", "input term is undefined", "input", 1, 1)]);
    }

    private TResult Run<TState, TResult>(RegoValue? input, EvaluationOptions? options, TState state, Func<EvalContext, TState, TResult> body)
    {
        var token = options?.CancellationToken ?? CancellationToken.None;

        // A timeout is a deadline checked as evaluation steps (and by builtins that ask for the token), not a timer.
        long deadline = 0;
        if (options?.Timeout is { } timeout && timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            // The range CancellationTokenSource.CancelAfter accepts, as before.
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, nameof(options));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout.TotalMilliseconds, uint.MaxValue - 1.0, nameof(options));
            deadline = System.Diagnostics.Stopwatch.GetTimestamp() + Math.Max(1, (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));
            if (timeout == TimeSpan.Zero)
            {
                throw new RegoEvaluationException("eval_cancel_error", "caller cancelled query execution", new OperationCanceledException());
            }
        }

        BuiltinContext? builtins = null;
        try
        {
            token.ThrowIfCancellationRequested();
            builtins = deadline == 0
                ? new BuiltinContext(options?.Now ?? DateTimeOffset.UtcNow, options?.StrictBuiltinErrors ?? false, token)
                : new BuiltinContext(options?.Now ?? DateTimeOffset.UtcNow, options?.StrictBuiltinErrors ?? false, deadline, token);
            var ctx = EvalContext.Rent(_model, input, builtins, options?.MaxSteps, options?.PrintOutput, token);
            ctx.SetDeadline(deadline);
            var result = body(ctx, state);

            // Only after a normal end: a context left by an exception may hold a half-done state.
            ctx.Release();
            return result;
        }
        catch (OperationCanceledException e)
        {
            throw new RegoEvaluationException("eval_cancel_error", "caller cancelled query execution", e);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new RegoEvaluationException("eval_internal_error", "evaluation too deep", e);
        }
        finally
        {
            builtins?.ReleaseDeadline();
        }
    }

    private TNode CompilePath(string path)
    {
        Term t;
        try
        {
            t = Parser.ParseTerm("query", path);
        }
        catch (RegoSyntaxException e)
        {
            throw new RegoCompileException([new RegoError("rego_parse_error", e.Message, "query", e.Line, e.Column)]);
        }

        var compiler = PolicyCompilerFor();
        try
        {
            return compiler.CompileStandaloneTerm(t);
        }
        catch (CompileErrorException e)
        {
            throw new RegoCompileException([e.Error]);
        }
    }

    private PolicyCompiler PolicyCompilerFor() => PolicyCompiler.ForModel(_model, _builtins);

    private CompiledQuery CompileQuery(string query)
    {
        List<Literal> body;
        try
        {
            body = Parser.ParseQuery("query", query);
        }
        catch (RegoSyntaxException e)
        {
            throw new RegoCompileException([new RegoError("rego_parse_error", e.Message, "query", e.Line, e.Column)]);
        }

        var compiler = PolicyCompilerFor();
        try
        {
            var (node, layout, outputs) = compiler.CompileQuery(body);
            if (compiler.Errors.Count > 0)
            {
                throw new RegoCompileException(compiler.Errors);
            }

            return new CompiledQuery(node, layout.Count, outputs);
        }
        catch (CompileErrorException e)
        {
            throw new RegoCompileException([.. compiler.Errors, e.Error]);
        }
    }

    private sealed class CompiledQuery(BodyNode body, int slots, List<(string Name, int Slot)> outputs)
    {
        public List<IReadOnlyDictionary<string, RegoValue>> Run(EvalContext c)
        {
            var f = new RegoValue?[slots];
            var rows = new List<IReadOnlyDictionary<string, RegoValue>>();
            body.Eval(c, f, () =>
            {
                var row = new Dictionary<string, RegoValue>(outputs.Count, StringComparer.Ordinal);
                foreach (var (name, slot) in outputs)
                {
                    if (f[slot] is { } v)
                    {
                        row[name] = v;
                    }
                }

                rows.Add(row);
                return true;
            });
            return rows;
        }
    }
}
