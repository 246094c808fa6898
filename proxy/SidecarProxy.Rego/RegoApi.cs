using SidecarProxy.Rego.Builtins;

namespace SidecarProxy.Rego;

/// <summary>One Rego source file.</summary>
public sealed record RegoModuleSource(string FileName, string Text);

/// <summary>A compile-time error, located as OPA locates it.</summary>
public sealed record RegoError(string Code, string Message, string? File, int Line, int Column)
{
    /// <summary>OPA's one-line form: <c>policy.rego:12:5: rego_parse_error: unexpected ...</c>.</summary>
    public override string ToString() =>
        File is null ? $"{Code}: {Message}" : $"{File}:{Line}:{Column}: {Code}: {Message}";
}

public sealed record CompileOptions
{
    /// <summary>The builtins policies may call; <see cref="BuiltinRegistry.Default"/> when null.</summary>
    public BuiltinRegistry? Builtins { get; init; }
}

public sealed record EvaluationOptions
{
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Evaluation budget in steps; exceeding it throws <see cref="RegoEvaluationException"/> with code eval_cancel_error.</summary>
    public long? MaxSteps { get; init; }

    public TimeSpan? Timeout { get; init; }

    public bool StrictBuiltinErrors { get; init; }

    /// <summary>The clock reading for time.now_ns; the system clock when null.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>Where <c>print</c> writes; print output is discarded when null.</summary>
    public TextWriter? PrintOutput { get; init; }
}

/// <summary>Parsing or compiling failed. <see cref="Errors"/> lists every error found.</summary>
public sealed class RegoCompileException : Exception
{
    public RegoCompileException(IReadOnlyList<RegoError> errors)
        : base(string.Join('\n', (errors ?? []).Select(e => e.ToString())))
    {
        Errors = errors ?? [];
    }

    public RegoCompileException()
        : this([])
    {
    }

    public RegoCompileException(string message)
        : base(message)
    {
        Errors = [new RegoError("rego_compile_error", message, null, 0, 0)];
    }

    public RegoCompileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new RegoError("rego_compile_error", message, null, 0, 0)];
    }

    public IReadOnlyList<RegoError> Errors { get; }
}

/// <summary>Evaluation failed (eval_conflict_error, eval_type_error, eval_builtin_error, eval_cancel_error, ...).</summary>
public sealed class RegoEvaluationException : Exception
{
    public RegoEvaluationException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public RegoEvaluationException(string code, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    public RegoEvaluationException()
        : this("eval_internal_error", "evaluation failed")
    {
    }

    public RegoEvaluationException(string message)
        : this("eval_internal_error", message)
    {
    }

    public RegoEvaluationException(string message, Exception innerException)
        : this("eval_internal_error", message, innerException)
    {
    }

    public string Code { get; }
}
