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

/// <summary>
/// Mutable state of one query evaluation. Never shared between threads. A context is reused by the next evaluation
/// on the same thread (<see cref="Rent"/>, <see cref="Release"/>) with its scratch arrays, so that a decision
/// allocates little more than its results.
/// </summary>
internal sealed class EvalContext
{
    public static readonly object Undefined = new();
    public static readonly object InProgress = new();

    // Arrays up to this length (frames, call arguments) are recycled within and across evaluations.
    private const int MaxPooledLength = 16;
    private const int MaxPooledPerLength = 32;

    // One spare context per thread. Taken out while in use, so a nested evaluation on the same thread gets its own.
    [ThreadStatic]
    private static EvalContext? t_spare;

    private readonly object?[] _cache;
    private readonly RegoValue?[]?[]?[] _arrays = new RegoValue?[]?[]?[MaxPooledLength + 1];
    private readonly int[] _arrayCounts = new int[MaxPooledLength + 1];
    private long _maxSteps;
    private CancellationToken _token;
    private long _deadline;
    private long _steps;

    public EvalContext(PolicyModel model, RegoValue? input, BuiltinContext builtins, long? maxSteps, TextWriter? print, CancellationToken token)
    {
        Model = model;
        Input = input;
        Builtins = builtins;
        _maxSteps = maxSteps ?? long.MaxValue;
        _token = token;
        Print = print;
        _cache = new object?[model.GroupCount];
        Cache = _cache;
    }

    /// <summary>A context for a new evaluation: this thread's spare one when it is for the same model, else a new one.</summary>
    public static EvalContext Rent(PolicyModel model, RegoValue? input, BuiltinContext builtins, long? maxSteps, TextWriter? print, CancellationToken token)
    {
        var c = t_spare;
        if (c is null || !ReferenceEquals(c.Model, model) || c._cache.Length != model.GroupCount)
        {
            return new EvalContext(model, input, builtins, maxSteps, print, token);
        }

        t_spare = null;
        c.Input = input;
        c.Builtins = builtins;
        c._maxSteps = maxSteps ?? long.MaxValue;
        c._token = token;
        c.Print = print;
        c._deadline = 0;
        return c;
    }

    /// <summary>Ends an evaluation: drops every reference into it and keeps the context as this thread's spare.</summary>
    public void Release()
    {
        Input = null;
        Builtins = null!;
        Print = null;
        DataOverrides = null;
        Mocks = null;
        _token = default;
        _deadline = 0;
        _steps = 0;
        _trailCount = 0;
        Array.Clear(_cache);
        Cache = _cache;
        t_spare = this;
    }

    /// <summary>Stops the evaluation once <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> passes <paramref name="timestamp"/>.</summary>
    public void SetDeadline(long timestamp) => _deadline = timestamp;

    /// <summary>An array of nulls of the given length (a frame or argument list); give it back with <see cref="Return"/>.</summary>
    public RegoValue?[] Rent(int length)
    {
        if (length == 0)
        {
            return [];
        }

        if (length <= MaxPooledLength)
        {
            var n = _arrayCounts[length];
            if (n > 0)
            {
                _arrayCounts[length] = n - 1;
                var stack = _arrays[length]!;
                var a = stack[n - 1]!;
                stack[n - 1] = null;
                return a;
            }
        }

        return new RegoValue?[length];
    }

    /// <summary>Gives back an array from <see cref="Rent"/> once nothing refers to it any more.</summary>
    public void Return(RegoValue?[] array)
    {
        var length = array.Length;
        if (length == 0 || length > MaxPooledLength)
        {
            return;
        }

        var stack = _arrays[length] ??= new RegoValue?[]?[4];
        var n = _arrayCounts[length];
        if (n == stack.Length)
        {
            if (n == MaxPooledPerLength)
            {
                return;
            }

            Array.Resize(ref stack, n * 2);
            _arrays[length] = stack;
        }

        Array.Clear(array);
        stack[n] = array;
        _arrayCounts[length] = n + 1;
    }

    public PolicyModel Model { get; }

    public RegoValue? Input { get; set; }

    /// <summary>Virtual document values by rule group id; replaced while a <c>with</c> is in force.</summary>
    public object?[] Cache { get; set; }

    /// <summary>Data paths replaced by <c>with</c>, innermost last; null when none.</summary>
    public List<KeyValuePair<string[], RegoValue>>? DataOverrides { get; set; }

    /// <summary>Functions replaced by <c>with</c>, keyed by BuiltinDefinition or FunctionGroup; null when none.</summary>
    public Dictionary<object, FunctionMock>? Mocks { get; set; }

    public BuiltinContext Builtins { get; private set; }

    public bool Strict => Builtins.StrictBuiltinErrors;

    public TextWriter? Print { get; private set; }

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
        Slots.Set(f, slot, value);
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

        // Every fourth step is often enough to stay far within the margin the check keeps (it is not free).
        if ((s & 3) == 0)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        }
        if ((s & 255) == 0 && (_token.IsCancellationRequested || (_deadline != 0 && System.Diagnostics.Stopwatch.GetTimestamp() >= _deadline)))
        {
            throw new RegoEvaluationException("eval_cancel_error", "caller cancelled query execution");
        }
    }
}

/// <summary>
/// Stores into frames and argument arrays without the covariance check an array store of a subclass costs (every
/// value is a subclass of <see cref="RegoValue"/>). Only for arrays created as <c>RegoValue[]</c>, as all frames and
/// argument arrays are.
/// </summary>
internal static class Slots
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Set(RegoValue?[] array, int index, RegoValue value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)array.Length, nameof(index));

        System.Diagnostics.Debug.Assert(array.GetType() == typeof(RegoValue[]), "frames are exactly RegoValue[]");
        System.Runtime.CompilerServices.Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array), index) = value;
    }
}
