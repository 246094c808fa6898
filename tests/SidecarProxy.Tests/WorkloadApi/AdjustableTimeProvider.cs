namespace SidecarProxy.Tests.WorkloadApi;

/// <summary>A clock the test sets; timers (backoff delays) stay real so the client still makes progress.</summary>
internal sealed class AdjustableTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);
}
