using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Eval;

/// <summary>A function replacement installed by <c>with</c>: a constant value or another function.</summary>
internal sealed class FunctionMock
{
    public RegoValue? Value { get; init; }

    public BuiltinDefinition? Builtin { get; init; }

    public FunctionGroup? Function { get; init; }
}

/// <summary>Mutable state of one query evaluation. Never shared between threads.</summary>
internal sealed class EvalContext
{
    public static readonly object Undefined = new();
    public static readonly object InProgress = new();

    private readonly long _maxSteps;
    private readonly CancellationToken _token;
    private long _steps;

    public EvalContext(PolicyModel model, RegoValue? input, BuiltinContext builtins, long? maxSteps, CancellationToken token, TextWriter? print)
    {
        Model = model;
        Input = input;
        Builtins = builtins;
        _maxSteps = maxSteps ?? long.MaxValue;
        _token = token;
        Print = print;
        Cache = new object?[model.GroupCount];
    }

    public PolicyModel Model { get; }

    public RegoValue? Input { get; set; }

    /// <summary>Virtual document values by rule group id; replaced while a <c>with</c> is in force.</summary>
    public object?[] Cache { get; set; }

    /// <summary>Data paths replaced by <c>with</c>, innermost last; null when none.</summary>
    public List<KeyValuePair<string[], RegoValue>>? DataOverrides { get; set; }

    /// <summary>Functions replaced by <c>with</c>, keyed by BuiltinDefinition or FunctionGroup; null when none.</summary>
    public Dictionary<object, FunctionMock>? Mocks { get; set; }

    public BuiltinContext Builtins { get; }

    public bool Strict => Builtins.StrictBuiltinErrors;

    public TextWriter? Print { get; }

    // The trail: slots bound by literals evaluated without a continuation (LNode.Once), newest last, so that a caller
    // can unbind everything a body bound by going back to a mark. Bodies nest strictly, so one stack serves all frames.
    private int[] _trail = [];
    private int _trailCount;

    public int TrailMark => _trailCount;

    /// <summary>Binds a slot and records it on the trail.</summary>
    public void Bind(RegoValue?[] f, int slot, RegoValue value)
    {
        if (_trailCount == _trail.Length)
        {
            Array.Resize(ref _trail, Math.Max(16, _trail.Length * 2));
        }

        _trail[_trailCount++] = slot;
        f[slot] = value;
    }

    /// <summary>Unbinds the slots of <paramref name="f"/> bound since <paramref name="mark"/>.</summary>
    public void Undo(RegoValue?[] f, int mark)
    {
        while (_trailCount > mark)
        {
            f[_trail[--_trailCount]] = null;
        }
    }

    public void Step()
    {
        var s = ++_steps;
        if (s > _maxSteps)
        {
            throw new RegoEvaluationException("eval_cancel_error", "evaluation step budget exceeded");
        }

        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if ((s & 255) == 0 && _token.IsCancellationRequested)
        {
            throw new RegoEvaluationException("eval_cancel_error", "caller cancelled query execution");
        }
    }
}
