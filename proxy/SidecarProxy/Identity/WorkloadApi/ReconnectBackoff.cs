namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>
/// Exponential backoff with "equal jitter": each delay is half the exponential step plus a random half, so a
/// fleet of sidecars that lost the same agent does not reconnect in lockstep, yet no delay collapses to zero.
/// Bounded by the maximum; reset after every message the agent sends.
/// </summary>
internal sealed class ReconnectBackoff
{
    // 2^20 times any sane initial delay is past any sane maximum; capping the exponent keeps the arithmetic finite.
    private const int MaxExponent = 20;

    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;
    private int _attempt;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
    {
        if (initial <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(initial), "must be positive");
        }

        if (max < initial)
        {
            throw new ArgumentOutOfRangeException(nameof(max), "must not be shorter than the initial delay");
        }

        _initial = initial;
        _max = max;
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        _random = random ?? Random.Shared.NextDouble;
#pragma warning restore CA5394
    }

    public TimeSpan Next()
    {
        var exponent = Math.Min(_attempt, MaxExponent);
        _attempt++;
        var step = Math.Min(_max.TotalMilliseconds, _initial.TotalMilliseconds * Math.Pow(2, exponent));
        var jitter = Math.Clamp(_random(), 0, 1);
        return TimeSpan.FromMilliseconds((step / 2) + (jitter * step / 2));
    }

    public void Reset() => _attempt = 0;
}
